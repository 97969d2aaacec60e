/**
 * Engagement figures: active agents over time, response rate to requests, acks against ack_required,
 * time to first response (rollups), and silent and stale agents (stale: current state).
 *
 * - response rate: of the requests an agent received in the range, the share it answered (at least one
 *   `response` replying to it, at any time so far);
 * - acks: of the ack_required messages it received in the range, how many it acknowledged; `acks`
 *   counts every acknowledgement it made in the range, required or not;
 * - silent: received requests in the range and answered none;
 * - stale: offline now (silent for presence.offlineAfterSeconds) while holding unread messages.
 */
import type { AgentRecord } from '../../store/types.js';
import type { RollupQuery } from '../../store/analytics.js';
import type { DomainDeps } from '../deps.js';
import type { Services } from '../index.js';
import { type BucketSize, MINUTES_PER, minuteIso } from './buckets.js';
import { latencyFigures } from './performance.js';

/** Stale agents are looked for among at most this many agents (newest registrations last). */
const MAX_AGENTS_CHECKED = 10_000;

const rate = (part: number, whole: number) => (whole ? Math.round((part / whole) * 10_000) / 10_000 : null);

export interface StaleScope {
  project?: string;
  role?: string;
  capability?: string;
  agentId?: string;
}

export async function engagementFigures(
  d: DomainDeps,
  services: Services,
  q: RollupQuery,
  bucket: BucketSize,
  scope: StaleScope,
) {
  const store = d.store.analytics;
  const active = await store.activeSenders(q, MINUTES_PER[bucket]);
  const replies = await store.replyTotals(q);
  const counts = await store.latencyCounts(q);
  const firstResponse = (await store.latencyTotals(q)).filter((r) => r.metric === 'first_response');

  const acks = new Map<string, number>();
  for (const c of counts) if (c.metric === 'ack') acks.set(c.agentId, c.count);
  const ids = [...new Set([...replies.map((r) => r.agentId), ...acks.keys()])].sort();
  const names = await names_(d, ids);
  const byId = new Map(replies.map((r) => [r.agentId, r]));
  const agents = ids.map((id) => {
    const r = byId.get(id) ?? { requests: 0, answered: 0, ackRequired: 0, acked: 0 };
    return {
      agent_id: id,
      name: names.get(id) ?? null,
      requests: r.requests,
      answered: r.answered,
      response_rate: rate(r.answered, r.requests),
      ack_required: r.ackRequired,
      acked: r.acked,
      ack_rate: rate(r.acked, r.ackRequired),
      acks: acks.get(id) ?? 0,
    };
  });
  const total = (k: 'requests' | 'answered' | 'ack_required' | 'acked' | 'acks') =>
    agents.reduce((s, a) => s + a[k], 0);
  const totals = {
    requests: total('requests'),
    answered: total('answered'),
    response_rate: rate(total('answered'), total('requests')),
    ack_required: total('ack_required'),
    acked: total('acked'),
    ack_rate: rate(total('acked'), total('ack_required')),
    acks: total('acks'),
  };
  return {
    bucket,
    active_agents: {
      total: active.total,
      series: active.buckets.map((b) => ({ bucket_start: minuteIso(b.bucket), agents: b.agents })),
    },
    agents,
    totals,
    time_to_first_response: latencyFigures(firstResponse),
    silent: agents
      .filter((a) => a.requests > 0 && a.answered === 0)
      .map((a) => ({ agent_id: a.agent_id, name: a.name, requests: a.requests })),
    stale: await staleAgents(d, services, scope),
  };
}

async function names_(d: DomainDeps, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const agents = await d.store.listAgents({ ids, includeRetired: true, withoutMetadata: true });
  return new Map(agents.map((a) => [a.id, a.name]));
}

/** Offline agents (not retired) holding unread messages, most unread first. */
async function staleAgents(d: DomainDeps, services: Services, scope: StaleScope) {
  const agents: AgentRecord[] = await d.store.listAgents({
    project: scope.project,
    role: scope.role,
    capability: scope.capability,
    ids: scope.agentId !== undefined ? [scope.agentId] : undefined,
    limit: MAX_AGENTS_CHECKED,
    withoutMetadata: true,
  });
  const offline = agents
    .map((a) => ({ a, view: services.agents.view(a) }))
    .filter((x) => x.view.status === 'offline');
  const unread = await d.store.unreadCounts(
    offline.map((x) => x.a.id),
    new Date(d.clock.now()).toISOString(),
  );
  return offline
    .map((x) => ({
      agent_id: x.a.id,
      name: x.a.name,
      status: x.view.status,
      last_seen_at: x.view.last_heartbeat,
      unread: unread.get(x.a.id) ?? 0,
    }))
    .filter((x) => x.unread > 0)
    .sort((a, b) => b.unread - a.unread || a.agent_id.localeCompare(b.agent_id));
}
