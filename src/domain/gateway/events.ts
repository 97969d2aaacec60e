/**
 * What the gateway tells the bus and the log: its events go to the gateway channel and the all-events
 * channel; the approvals queue (held downstream calls and relayed permission prompts) logs and
 * publishes every approval it opens and decides.
 */
import { channels } from '../../bus/bus.js';
import { GATEWAY_CHANNEL, type GatewayEvent } from '../../bus/gateway-events.js';
import { iso } from '../../core/time.js';
import type { DomainDeps } from '../deps.js';
import type { Services } from '../index.js';
import { ApprovalGate } from './approvals.js';

export function publish(d: DomainDeps, event: GatewayEvent): void {
  d.bus.publish(GATEWAY_CHANNEL, event);
  d.bus.publish(channels.all, event);
}

/** The hub's time now, as events and stored rows carry it. */
export const nowIso = (d: DomainDeps): string => iso(d.clock.now());

/** The approvals queue: held calls wait here; relayed permission prompts come in through services.approvals. */
export function approvalGate(d: DomainDeps, services: Services): ApprovalGate {
  const cluster = d.store.kind === 'postgres';
  const gate = new ApprovalGate(d.store.gateway, {
    timeoutMs: () => d.config.gateway.approvals.timeoutSeconds * 1000,
    now: () => d.clock.now(),
    projectOf: async (agentId) => (await services.agents.find(agentId))?.project ?? null,
    cluster,
    nodes: services.info.nodes,
    // Every node's decisions (the cluster bus relays them): the node holding the call releases it.
    watch: (onDecided) =>
      d.bus.subscribe(GATEWAY_CHANNEL, (e) => {
        if (e.type === 'gateway.approval' && e.status !== 'pending') onDecided(e.approval_id);
      }),
    onEvent: (a) => {
      d.logger.info(
        {
          approval_id: a.id,
          kind: a.kind,
          tool: a.tool,
          status: a.status,
          correlation_id: a.correlationId,
          requested_by: a.requestedBy,
          decided_by: a.decidedBy,
        },
        a.status !== 'pending'
          ? 'approval decided'
          : a.kind === 'permission'
            ? 'permission prompt waiting for approval'
            : 'downstream call held for approval',
      );
      publish(d, {
        type: 'gateway.approval',
        at: nowIso(d),
        approval_id: a.id,
        kind: a.kind,
        project: a.project,
        tool: a.tool,
        server: a.server,
        status: a.status,
      });
    },
  });
  // Held calls of nodes that stopped (died or left) end at once; approvals whose node died before
  // their expiry are timed out: by one node of the cluster at a time.
  if (cluster) {
    d.timers.every('approval sweep', APPROVAL_SWEEP_MS, () => gate.sweep(), { oneNodeAtATime: true });
  }
  return gate;
}

/**
 * How often a cluster looks for held calls of nodes that stopped and pending approvals past their
 * expiry (as often as nodes beat: a dead node is noticed within one interval of going stale).
 */
const APPROVAL_SWEEP_MS = 5_000;
