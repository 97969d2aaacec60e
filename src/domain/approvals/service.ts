/**
 * The approvals queue as its deciders and requesters see it: held gateway calls and the permission
 * prompts Claude Code sessions relay (`switchboard mcp --permission-relay`), one queue in the gateway's
 * ApprovalGate. Here: who may list and decide (access.ts; the admin, or an agent granted `approvals`
 * for its own project, never for its own requests), the grants, and the relay's side — open a prompt,
 * wait for its decision, close it when the session ends.
 */
import { channels } from '../../bus/bus.js';
import { GATEWAY_CHANNEL, type GatewayEvent } from '../../bus/gateway-events.js';
import type { WaitProgress } from '../../bus/waiter.js';
import { Waiter } from '../../bus/waiter.js';
import { type Caller, callerKey } from '../../core/caller.js';
import { HubError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { maskHubTokens } from '../../core/redact.js';
import type { ApprovalKind, ApprovalStatus, StoredApproval, StoredGrant } from '../../store/gateway.js';
import type { AgentRecord } from '../../store/types.js';
import type { DomainDeps } from '../deps.js';
import type { ApprovalView, GrantView } from '../../core/wire/index.js';
import { approvalView } from '../gateway/approvals.js';
import type { Services } from '../index.js';
import { type ApprovalViewer, approvalScope, isRequester, maySee } from './access.js';

/** Pending permission prompts one agent may hold at once (a session shows one dialog at a time). */
export const MAX_PENDING_PROMPTS = 20;

export interface PermissionRequest {
  requestId: string;
  toolName: string;
  description: string;
  inputPreview: string;
}

export class ApprovalsService {
  constructor(
    private readonly d: DomainDeps,
    private readonly services: Services,
  ) {
    // Deciders hear of their project's approvals live: each event also goes to the granted agents'
    // own channels (their WebSocket and event stream), not only to the admin's hub-wide feed.
    d.bus.subscribeLocal(GATEWAY_CHANNEL, (e) => {
      if (e.type === 'gateway.approval' && e.project !== null)
        void this.toGrantees(e).catch((err) => d.logger.warn({ err }, 'approval event fan-out failed'));
    });
  }

  private async toGrantees(e: GatewayEvent & { type: 'gateway.approval' }): Promise<void> {
    const approval = await this.gate.get(e.approval_id);
    const requester = approval?.agentId ?? null;
    for (const g of await this.d.store.gateway.listGrants()) {
      if (g.agentId === requester) continue;
      const agent = await this.services.agents.find(g.agentId);
      if (agent && !agent.retiredAt && agent.project === e.project)
        this.d.bus.publish(channels.agent(agent.id), e);
    }
  }

  private get gate() {
    return this.services.gateway.approvals;
  }

  /** The caller as the access rules see it (its project and grant now, not when it registered). */
  async viewer(caller: Caller): Promise<ApprovalViewer> {
    if (caller.kind === 'admin') return { kind: 'admin' };
    if (caller.kind !== 'agent')
      throw new HubError('unauthorized', 'Approvals need a token: send Authorization: Bearer <token>');
    const agent = await this.services.agents.requireActive(caller.agentId);
    const grant = await this.d.store.gateway.getGrant(agent.id);
    return { kind: 'agent', agentId: agent.id, project: agent.project, granted: grant !== undefined };
  }

  async list(
    caller: Caller,
    filter: { status?: ApprovalStatus; kind?: ApprovalKind; limit: number },
  ): Promise<ApprovalView[]> {
    const { project } = approvalScope(await this.viewer(caller), 'list_approvals');
    const rows = await this.gate.list({ ...filter, ...(project !== null ? { project } : {}) });
    return rows.map(approvalView);
  }

  /** approve_call / deny_call, for either kind; who decided is recorded (the audit trail). */
  async decide(caller: Caller, id: string, approved: boolean, reason: string | null): Promise<ApprovalView> {
    const op = approved ? 'approve_call' : 'deny_call';
    const viewer = await this.viewer(caller);
    approvalScope(viewer, op);
    const approval = await this.visible(viewer, id);
    if (viewer.kind === 'agent' && approval.agentId === viewer.agentId) {
      throw new HubError(
        'forbidden',
        `${op}: approval ${id} is your own request; another agent with the approvals grant for project ${viewer.project}, or the admin, decides it`,
      );
    }
    const status = approved ? 'approved' : 'denied';
    return approvalView(await this.gate.decideAsPerson(id, status, callerKey(caller), reason));
  }

  /** A permission prompt of `agent`'s session, pending until decided, closed or expired. */
  async request(agent: AgentRecord, by: Caller, req: PermissionRequest): Promise<ApprovalView> {
    const pending = (
      await this.gate.list({ status: 'pending', kind: 'permission', project: agent.project, limit: 10_000 })
    ).filter((a) => a.agentId === agent.id);
    const same = pending.find((a) => a.permission?.requestId === req.requestId);
    if (same) return approvalView(same);
    if (pending.length >= MAX_PENDING_PROMPTS) {
      throw new HubError(
        'rate_limited',
        `Agent ${agent.id} has ${pending.length} permission prompts pending (at most ${MAX_PENDING_PROMPTS}); close_permission_request the ones its session answered`,
      );
    }
    const now = this.d.clock.now();
    const timeoutMs = this.d.config.gateway.approvals.permissionTimeoutSeconds * 1000;
    const approval: StoredApproval = {
      id: newId('appr'),
      kind: 'permission',
      agentId: agent.id,
      project: agent.project,
      permission: {
        requestId: req.requestId,
        description: maskHubTokens(req.description),
        inputPreview: maskHubTokens(req.inputPreview),
      },
      tool: maskHubTokens(req.toolName),
      server: 'claude-code',
      args: {},
      rule: 'permission prompt of a Claude Code session',
      correlationId: newId('corr'),
      requestedBy: callerKey(by),
      requestedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + timeoutMs).toISOString(),
      status: 'pending',
      decidedBy: null,
      decidedAt: null,
      reason: null,
      // Nothing is held on this node: the requester reads the decision back through any node.
      nodeId: null,
    };
    return approvalView(await this.gate.open(approval));
  }

  /** The approval once decided, or as it is when `timeoutMs` passes (or the caller goes away). */
  async wait(
    caller: Caller,
    id: string,
    opts: { timeoutMs: number; signal?: AbortSignal; progress?: WaitProgress },
  ): Promise<ApprovalView> {
    const first = await this.ownRequest(caller, id, 'wait_for_approval');
    if (first.status !== 'pending') return approvalView(first);
    const waiter = new Waiter(
      this.d.bus,
      [GATEWAY_CHANNEL],
      (e) => e.type === 'gateway.approval' && e.approval_id === id,
    );
    try {
      const decided = await waiter.until(
        async () => {
          const now = await this.gate.get(id);
          return now && now.status !== 'pending' ? now : undefined;
        },
        {
          timeoutMs: opts.timeoutMs,
          ...(opts.signal ? { signal: opts.signal } : {}),
          ...(opts.progress ? { progress: opts.progress } : {}),
        },
      );
      return approvalView(decided ?? (await this.gate.get(id)) ?? first);
    } finally {
      waiter.close();
    }
  }

  /** The requester withdraws its prompt (its session ended or answered it locally): cancelled. */
  async close(caller: Caller, id: string, reason: string | null): Promise<ApprovalView> {
    const approval = await this.ownRequest(caller, id, 'close_permission_request');
    if (approval.kind !== 'permission') {
      throw new HubError(
        'invalid_input',
        `Approval ${id} is a held gateway call, not a permission prompt; deny_call decides it`,
      );
    }
    const why = reason ?? 'closed by the session that asked';
    return approvalView(await this.gate.decide(id, 'cancelled', callerKey(caller), why));
  }

  async grant(agentId: string, by: Caller): Promise<GrantView> {
    const agent = await this.services.agents.requireActive(agentId);
    const grant: StoredGrant = {
      agentId: agent.id,
      grantedBy: callerKey(by),
      grantedAt: new Date(this.d.clock.now()).toISOString(),
    };
    await this.d.store.gateway.putGrant(grant);
    this.d.logger.info({ agent_id: agent.id, project: agent.project }, 'approvals granted');
    return this.grantView(grant);
  }

  async revoke(agentId: string): Promise<{ revoked: string }> {
    if (!(await this.d.store.gateway.removeGrant(agentId))) {
      throw new HubError('not_found', `Agent ${agentId} has no approvals grant; list_grants shows them`);
    }
    this.d.logger.info({ agent_id: agentId }, 'approvals revoked');
    return { revoked: agentId };
  }

  async grants(): Promise<GrantView[]> {
    return Promise.all((await this.d.store.gateway.listGrants()).map((g) => this.grantView(g)));
  }

  private async grantView(g: StoredGrant): Promise<GrantView> {
    const agent = await this.services.agents.find(g.agentId);
    return {
      agent_id: g.agentId,
      project: agent?.project ?? null,
      granted_by: g.grantedBy,
      granted_at: g.grantedAt,
    };
  }

  /** An approval the viewer may see; otherwise not_found, as for an id that does not exist. */
  private async visible(viewer: ApprovalViewer, id: string): Promise<StoredApproval> {
    const approval = await this.gate.get(id);
    if (!approval || !maySee(viewer, approval)) {
      throw new HubError('not_found', `No approval ${id} you can see; list_approvals shows them`);
    }
    return approval;
  }

  /** An approval the caller requested (the admin: any). */
  private async ownRequest(caller: Caller, id: string, op: string): Promise<StoredApproval> {
    const viewer = await this.viewer(caller);
    const approval = await this.gate.get(id);
    if (approval && isRequester(viewer, approval)) return approval;
    if (approval && maySee(viewer, approval)) {
      throw new HubError(
        'forbidden',
        `${op}: approval ${id} was requested by another agent; only it waits on or closes it`,
      );
    }
    throw new HubError('not_found', `No approval ${id} requested by you`);
  }
}
