/** Agents: registration, identity, presence, discovery, retirement. */
import { channels } from '../../bus/bus.js';
import type { Caller } from '../../core/caller.js';
import { forbidden, HubError, notFound } from '../../core/errors.js';
import { agentIdFromName } from '../../core/ids.js';
import { iso } from '../../core/time.js';
import type { AgentStatus, AgentSummary, AgentView } from '../../core/wire/index.js';
import type { AgentRecord, DeclaredStatus } from '../../store/types.js';
import type { DomainDeps } from '../deps.js';
import { agentIdProblem } from './agent-ids.js';
import { anonymousDirectory, type DirectoryView, directoryClosed, seesProject } from './directory.js';
import { AGENT_LIMITS, checkAgentFields, summaryOf } from './limits.js';
import { computeStatus, statusSince } from './presence.js';
import { hashToken, newToken, sameSecret } from '../../core/tokens.js';

export interface RegisterInput {
  agent_id?: string;
  session_id?: string;
  name: string;
  capabilities?: string[];
  role?: string;
  description?: string;
  metadata?: Record<string, unknown>;
  project?: string;
  /** Re-registering: issue a new token and invalidate the old one. */
  rotate_token?: boolean;
}

export interface RegisterResult {
  agent: AgentView;
  /** Present for a new agent or a rotated token; the only time a token is ever shown. */
  token?: string;
  created: boolean;
  peers: Array<{ agent_id: string; name: string; status: AgentStatus }>;
}

export interface AgentQuery {
  capability?: string;
  status?: AgentStatus;
  project?: string;
  role?: string;
  include_retired?: boolean;
}

/** One page of a listing: summaries (no metadata, descriptions cut), and how many match in all. */
export interface AgentPage {
  agents: AgentSummary[];
  total: number;
}

/** Registration answers with this many peers at most; a large project would otherwise make it slow. */
export const PEERS_SHOWN = 100;

/** How often (at most) pure activity is written to the store; presence itself is exact in memory. */
const TOUCH_PERSIST_MS = 5000;

export class AgentService {
  /** token hash → agent id, so authentication needs no query on the hot path. */
  private readonly tokenCache = new Map<string, string>();
  /** Exact last-seen times (ms); the store gets them at most every TOUCH_PERSIST_MS. */
  private readonly lastSeen = new Map<string, number>();
  private readonly persistedSeen = new Map<string, number>();
  /**
   * Last status published per agent by any node (from the bus), so `touch` knows when activity may
   * end an idle or offline status. What was published is decided by the store (`noteStatuses`).
   */
  private readonly lastStatus = new Map<string, AgentStatus>();
  /**
   * Agent records by id. Every change to an agent goes through this service, so the copy stays
   * exact; a multi-node store will invalidate it from bus events.
   */
  private readonly records = new Map<string, AgentRecord>();

  constructor(private readonly d: DomainDeps) {
    d.bus.subscribe(channels.all, (e) => {
      if (e.type === 'agent.status') this.lastStatus.set(e.agent_id, e.status);
    });
  }

  private now(): number {
    return this.d.clock.now();
  }

  /** An agent's record by id (retired ones too), read from the store once. */
  async find(id: string): Promise<AgentRecord | undefined> {
    const cached = this.records.get(id);
    if (cached) return cached;
    const record = await this.d.store.getAgent(id);
    if (record) this.records.set(id, record);
    return record;
  }

  private remember(record: AgentRecord): AgentRecord {
    this.records.set(record.id, record);
    return record;
  }

  /** When the agent was last seen: by this node (exact) or by any node (as stored). */
  private seenOf(a: AgentRecord): number {
    return Math.max(this.lastSeen.get(a.id) ?? 0, Date.parse(a.lastSeenAt));
  }

  view(a: AgentRecord): AgentView {
    const seen = this.seenOf(a);
    return {
      agent_id: a.id,
      session_id: a.sessionId,
      name: a.name,
      status: computeStatus(a.declaredStatus, seen, a.retiredAt !== null, this.now(), this.d.config.presence),
      capabilities: a.capabilities,
      role: a.role,
      description: a.description,
      metadata: a.metadata,
      project: a.project,
      last_heartbeat: iso(seen),
      created_at: a.createdAt,
      retired_at: a.retiredAt,
    };
  }

  async register(input: RegisterInput, caller: Caller, presentedToken?: string): Promise<RegisterResult> {
    if (this.d.config.registration === 'admin' && caller.kind !== 'admin') {
      throw new HubError('forbidden', 'This hub only lets the admin register agents (registration: admin)');
    }
    const named = input.agent_id !== undefined ? agentIdProblem(input.agent_id) : undefined;
    if (named) throw new HubError('invalid_input', `agent_id: ${named}`);
    // Every limit before anything is read or written: a refused registration stores nothing.
    checkAgentFields(input, this.d.config.agents.maxMetadataBytes);
    const existing = input.agent_id ? await this.find(input.agent_id) : undefined;
    const at = iso(this.now());
    if (existing) return this.reregister(existing, input, caller, presentedToken, at);

    const id = input.agent_id ?? agentIdFromName(input.name);
    const derived = agentIdProblem(id);
    if (derived) {
      throw new HubError('invalid_input', `name: the agent id made from it, ${derived}; give agent_id`);
    }
    const token = newToken();
    const record: AgentRecord = {
      id,
      name: input.name,
      sessionId: input.session_id ?? null,
      project: input.project ?? 'default',
      role: input.role ?? null,
      description: input.description ?? null,
      capabilities: dedupe(input.capabilities ?? []),
      metadata: input.metadata ?? {},
      tokenHash: hashToken(token),
      declaredStatus: 'active',
      createdAt: at,
      lastSeenAt: at,
      retiredAt: null,
    };
    await this.d.store.createAgent(record);
    this.remember(record);
    this.tokenCache.set(record.tokenHash, id);
    this.lastSeen.set(id, this.now());
    const agent = this.view(record);
    this.lastStatus.set(id, agent.status);
    await this.noteStatuses([record]);
    // Events reach every stream, like a listing: the summary, not the metadata.
    this.d.bus.publish(channels.all, { type: 'agent.registered', at, agent: summaryOf(agent) });
    return { agent, token, created: true, peers: await this.peers(record) };
  }

  private async reregister(
    existing: AgentRecord,
    input: RegisterInput,
    caller: Caller,
    presentedToken: string | undefined,
    at: string,
  ): Promise<RegisterResult> {
    const ownsIt =
      caller.kind === 'admin' ||
      (caller.kind === 'agent' && caller.agentId === existing.id) ||
      (presentedToken !== undefined && sameSecret(hashToken(presentedToken), existing.tokenHash));
    if (!ownsIt) {
      throw new HubError(
        'conflict',
        `agent_id ${existing.id} is already registered; send its token (Authorization: Bearer <token>) to update it, or omit agent_id to get a new one`,
      );
    }
    let token: string | undefined;
    const patch: Partial<AgentRecord> = {
      name: input.name,
      sessionId: input.session_id ?? existing.sessionId,
      project: input.project ?? existing.project,
      role: input.role ?? existing.role,
      description: input.description ?? existing.description,
      capabilities: input.capabilities ? dedupe(input.capabilities) : existing.capabilities,
      metadata: input.metadata ?? existing.metadata,
      lastSeenAt: at,
      retiredAt: null,
    };
    if (input.rotate_token) {
      token = newToken();
      patch.tokenHash = hashToken(token);
      this.tokenCache.delete(existing.tokenHash);
    }
    const updated = this.remember((await this.d.store.updateAgent(existing.id, patch))!);
    this.tokenCache.set(updated.tokenHash, updated.id);
    this.lastSeen.set(updated.id, this.now());
    const agent = this.view(updated);
    this.d.bus.publish(channels.all, { type: 'agent.updated', at, agent: summaryOf(agent) });
    // Re-registering ends a retirement.
    await this.noteStatuses([updated]);
    return { agent, token, created: false, peers: await this.peers(updated) };
  }

  /** The first PEERS_SHOWN other agents of the project (list_agents pages through the rest). */
  private async peers(self: AgentRecord): Promise<RegisterResult['peers']> {
    const some = await this.d.store.listAgents({ project: self.project, limit: PEERS_SHOWN + 1 });
    return some
      .filter((a) => a.id !== self.id)
      .slice(0, PEERS_SHOWN)
      .map((a) => {
        const v = this.view(a);
        return { agent_id: v.agent_id, name: v.name, status: v.status };
      });
  }

  /**
   * The agent a bearer token belongs to, or undefined. Retired agents still authenticate (to re-register).
   * `hash`: the token's hashToken, when the caller has it already (one SHA-256 per request).
   */
  async authenticate(token: string, hash: string = hashToken(token)): Promise<AgentRecord | undefined> {
    const cached = this.tokenCache.get(hash);
    const record = cached ? await this.find(cached) : await this.d.store.findAgentByTokenHash(hash);
    if (!record || record.tokenHash !== hash) {
      if (cached) this.tokenCache.delete(hash);
      return undefined;
    }
    this.tokenCache.set(hash, record.id);
    return record;
  }

  async get(id: string): Promise<AgentView> {
    const a = await this.find(id);
    if (!a) throw notFound(`Agent ${id}`);
    return this.view(a);
  }

  /** What this caller may see of the directory (directory.ts): every project, its own, or nothing. */
  async directoryView(caller: Caller): Promise<DirectoryView> {
    if (caller.kind === 'admin') return { kind: 'all' };
    if (caller.kind === 'agent')
      return { kind: 'project', project: (await this.requireActive(caller.agentId)).project };
    return anonymousDirectory(this.d.config) ? { kind: 'all' } : { kind: 'closed' };
  }

  /** Refuses a caller the directory is closed to (no token while auth.anonymousDirectory is off): a 401. */
  async requireDirectory(caller: Caller): Promise<void> {
    if ((await this.directoryView(caller)).kind === 'closed') throw directoryClosed();
  }

  /** One agent as this caller may see it: another project's agent is `not_found`, as if unknown. */
  async getFor(caller: Caller, id: string): Promise<AgentView> {
    const view = await this.directoryView(caller);
    if (view.kind === 'closed') throw directoryClosed();
    const a = await this.find(id);
    if (!a || !seesProject(view, a.project)) throw notFound(`Agent ${id}`);
    return this.view(a);
  }

  /** The project of an agent this service has in memory (every agent that authenticated or acted). */
  projectOf(id: string): string | undefined {
    return this.records.get(id)?.project;
  }

  /** The record of an agent that exists and is not retired; for acting as it. */
  async requireActive(id: string): Promise<AgentRecord> {
    const a = await this.find(id);
    if (!a) throw notFound(`Agent ${id}`);
    if (a.retiredAt) {
      throw new HubError(
        'forbidden',
        `Agent ${id} is retired; register it again (same agent_id and token) to come back`,
      );
    }
    return a;
  }

  async list(q: AgentQuery): Promise<AgentView[]> {
    const records = await this.d.store.listAgents({
      capability: q.capability,
      project: q.project,
      role: q.role,
      includeRetired: q.include_retired || q.status === 'retired',
    });
    const views = records.map((r) => this.view(r));
    return q.status ? views.filter((v) => v.status === q.status) : views;
  }

  /**
   * A page of the agents matching the query, as summaries: listings never carry metadata or long
   * descriptions (get_agent does), so their size stays bounded however agents describe themselves.
   */
  async page(q: AgentQuery, limit: number = AGENT_LIMITS.defaultPage, offset = 0): Promise<AgentPage> {
    const records = await this.d.store.listAgents({
      capability: q.capability,
      project: q.project,
      role: q.role,
      includeRetired: q.include_retired || q.status === 'retired',
      withoutMetadata: true,
    });
    const views = records.map((r) => this.view(r));
    const matching = q.status ? views.filter((v) => v.status === q.status) : views;
    const size = Math.min(Math.max(1, limit), AGENT_LIMITS.maxPage);
    return { agents: matching.slice(offset, offset + size).map(summaryOf), total: matching.length };
  }

  /** Any authenticated activity counts as presence. */
  touch(id: string): void {
    const now = this.now();
    this.lastSeen.set(id, now);
    const persisted = this.persistedSeen.get(id) ?? 0;
    if (now - persisted >= TOUCH_PERSIST_MS) {
      this.persistedSeen.set(id, now);
      this.d.store.touchAgents([{ id, lastSeenAt: iso(now) }]).catch((err) => {
        this.d.logger.warn({ err, agent_id: id }, 'could not record agent activity');
      });
    }
    const previous = this.lastStatus.get(id);
    if (previous === 'offline' || previous === 'idle') this.refreshStatus(id).catch(() => {});
  }

  async heartbeat(id: string, status?: DeclaredStatus): Promise<AgentView> {
    const record = await this.requireActive(id);
    const now = this.now();
    this.lastSeen.set(id, now);
    this.persistedSeen.set(id, now);
    const updated = await this.d.store.updateAgent(id, {
      lastSeenAt: iso(now),
      ...(status ? { declaredStatus: status } : {}),
    });
    const current = updated ? this.remember(updated) : record;
    await this.noteStatuses([current]);
    return this.view(current);
  }

  async retire(id: string, caller: Caller, reason = 'retired by request'): Promise<AgentView> {
    const a = await this.find(id);
    // Another project's agent is unknown to an agent token, here as in get_agent.
    const hidden =
      caller.kind === 'agent' &&
      caller.agentId !== id &&
      a?.project !== (await this.find(caller.agentId))?.project;
    if (!a || hidden) throw notFound(`Agent ${id}`);
    if (caller.kind !== 'admin' && !(caller.kind === 'agent' && caller.agentId === id)) {
      throw forbidden(`Only agent ${id} itself or the admin may retire it`);
    }
    const at = iso(this.now());
    const updated = a.retiredAt ? a : this.remember((await this.d.store.updateAgent(id, { retiredAt: at }))!);
    if (!a.retiredAt) {
      this.d.bus.publish(channels.all, {
        type: 'agent.retired',
        at,
        agent_id: id,
        project: a.project,
        reason,
      });
      await this.noteStatuses([updated]);
    }
    return this.view(updated);
  }

  private async refreshStatus(id: string): Promise<void> {
    const a = await this.find(id);
    if (a) await this.noteStatuses([a]);
  }

  /**
   * Publishes the agents' status changes, each once in the cluster: the store records every status
   * noted here and returns only those this call changed (several nodes noting one change at once,
   * in a sweep or on activity, get it back on one of them). A status noted for the first time is
   * recorded, not published.
   */
  private async noteStatuses(agents: AgentRecord[]): Promise<void> {
    if (agents.length === 0) return;
    const byId = new Map(agents.map((a) => [a.id, a]));
    const changes = agents.map((a) => {
      const seen = this.seenOf(a);
      const status = this.view(a).status;
      const since = statusSince(status, seen, a.retiredAt, this.d.config.presence);
      return { id: a.id, status, since: iso(since) };
    });
    const at = iso(this.now());
    for (const r of await this.d.store.recordAgentStatuses(changes)) {
      const status = r.status as AgentStatus;
      this.lastStatus.set(r.id, status);
      if (r.previous === null) continue;
      this.d.bus.publish(channels.all, {
        type: 'agent.status',
        at,
        agent_id: r.id,
        project: byId.get(r.id)!.project,
        status,
        previous: r.previous as AgentStatus,
      });
    }
  }

  /** Periodic: flush activity, retire long-absent agents, publish status changes. */
  async sweep(): Promise<{ retired: string[] }> {
    const now = this.now();
    const pending = [...this.lastSeen.entries()]
      .filter(([id, ms]) => (this.persistedSeen.get(id) ?? 0) < ms)
      .map(([id, ms]) => ({ id, lastSeenAt: iso(ms) }));
    if (pending.length) {
      await this.d.store.touchAgents(pending);
      for (const p of pending) this.persistedSeen.set(p.id, Date.parse(p.lastSeenAt));
    }
    const before = iso(now - this.d.config.presence.retireAfterSeconds * 1000);
    const retired = await this.d.store.retireIdleAgents(before, iso(now));
    const gone: AgentRecord[] = [];
    for (const id of retired) {
      this.records.delete(id);
      const a = await this.find(id);
      if (a) gone.push(a);
      this.d.bus.publish(channels.all, {
        type: 'agent.retired',
        at: iso(now),
        agent_id: id,
        project: a?.project ?? 'default',
        reason: 'absent too long',
      });
    }
    // Every agent's status (those just retired too), in one call: the store changes only those whose
    // status changed, and gives each change to one node.
    await this.noteStatuses([...gone, ...(await this.d.store.listAgents({ withoutMetadata: true }))]);
    return { retired };
  }

  /** Counts by status, for metrics and `status`; of one project when given. */
  async counts(project?: string): Promise<Record<AgentStatus, number>> {
    const counts: Record<AgentStatus, number> = { active: 0, busy: 0, idle: 0, offline: 0, retired: 0 };
    for (const a of await this.d.store.listAgents({ withoutMetadata: true, project }))
      counts[this.view(a).status]++;
    return counts;
  }
}

function dedupe(list: string[]): string[] {
  return [...new Set(list)];
}
