/**
 * Approvals: a downstream call that matches a rule (tool-name globs and argument patterns) is held
 * until a person approves or denies it (approve_call / deny_call), or the approval timeout passes
 * (then it is denied). The same queue holds the permission prompts Claude Code sessions relay
 * (`open`; decided the same way, or timed out at their expiry). The request and every decision are
 * stored: who asked, who decided, when, why, and the node holding a call. A hub that closes ends the
 * calls it holds (`failed`: nothing will wait for a decision); one that restarts after a crash
 * cancels the pending ones it had (their callers were disconnected with it).
 *
 * Cluster mode: the held call waits on the node that holds its downstream call (`nodeId`), but the
 * decision may be made on any node. The store records exactly one decision (a conditional write);
 * every node hears of it through the cluster bus (`watch`) and the node holding the call reads it
 * back and releases the call — once: its waiter is removed as it is resolved. A node starting does
 * not cancel other nodes' pending approvals, only its own previous run's. A sweep, one node at a
 * time, ends the pending calls of nodes that are not live (died, or left) as `failed` naming the
 * node, and times out pending approvals past their expiry (`sweep`); a person deciding a call whose
 * node is not live ends it the same way and gets a clear error.
 */
import type { ApprovalRule } from '../../config/gateway.js';
import type { Unsubscribe } from '../../bus/bus.js';
import { HubError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { LinearRegex } from '../../core/linear-regex.js';
import { type CharPattern, charPattern, simpleGlobMatches } from '../../core/wildcard.js';
import type { ApprovalView } from '../../core/wire/index.js';
import { ApprovalDeniedError } from './errors.js';
import type { ApprovalFilter, ApprovalStatus, GatewayStore, StoredApproval } from '../../store/gateway.js';

/** The hub nodes as the approvals queue needs them (NodeService). */
export interface ApprovalNodes {
  /** This node: recorded on each call it holds. */
  readonly id: string;
  /** The ids of the live nodes (this one among them). */
  liveIds(): Promise<Set<string>>;
  /** Why a node that is not live is gone (it left, or its heartbeats stopped), for the reason. */
  whyGone(id: string): Promise<string>;
}

/** Why a call held on `node` was ended: its node stopped (`why`: left, or no heartbeat since when). */
export const holderStopped = (node: string, why: string): string =>
  `the hub node holding the call (${node}) stopped before a decision (${why})`;

/**
 * Work one call may spend on the rules' argument patterns, counted before each test as the text's
 * length times the pattern's program size (RE2's bound on its steps; at most a few hundred
 * milliseconds in all). A call whose arguments are too large to check within it is held, as if the
 * pattern matched: a person decides rather than the hub freezing or letting it through unchecked.
 */
export const APPROVAL_MATCH_STEPS = 5_000_000;

const valueText = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** Tool-name globs and argument patterns, compiled for matching in linear time (no backtracking). */
interface CompiledRule {
  tools: CharPattern[];
  args: Array<[name: string, pattern: LinearRegex]>;
}

/** Every call is checked against every rule: each rule's patterns are compiled once, not per call. */
const compiled = new WeakMap<ApprovalRule, CompiledRule>();

function compile(rule: ApprovalRule): CompiledRule {
  let c = compiled.get(rule);
  if (!c) {
    c = {
      tools: rule.tools.map(charPattern),
      args: Object.entries(rule.args).map(([name, pattern]) => [name, new LinearRegex(pattern)]),
    };
    compiled.set(rule, c);
  }
  return c;
}

/** The first rule that holds this call, if any. */
export function matchRule(
  rules: readonly ApprovalRule[],
  tool: string,
  args: Record<string, unknown> | undefined,
): ApprovalRule | undefined {
  let left = APPROVAL_MATCH_STEPS;
  const matches = (re: LinearRegex, value: unknown): boolean => {
    const text = valueText(value);
    left -= (text.length + 1) * re.programSize;
    return left < 0 || re.test(text);
  };
  return rules.find((rule) => {
    const c = compile(rule);
    return (
      c.tools.some((glob) => simpleGlobMatches(glob, tool)) &&
      c.args.every(([name, re]) => args?.[name] !== undefined && matches(re, args[name]))
    );
  });
}

export const approvalView = (a: StoredApproval): ApprovalView => ({
  id: a.id,
  kind: a.kind,
  agent_id: a.agentId,
  project: a.project,
  request_id: a.permission?.requestId ?? null,
  description: a.permission?.description ?? null,
  input_preview: a.permission?.inputPreview ?? null,
  tool: a.tool,
  server: a.server,
  args: a.args,
  rule: a.rule,
  correlation_id: a.correlationId,
  requested_by: a.requestedBy,
  requested_at: a.requestedAt,
  expires_at: a.expiresAt,
  status: a.status,
  decided_by: a.decidedBy,
  decided_at: a.decidedAt,
  reason: a.reason,
  node_id: a.nodeId,
});

type Decided = Exclude<ApprovalStatus, 'pending'>;

export interface HoldRequest {
  tool: string;
  server: string;
  args: Record<string, unknown>;
  rule: ApprovalRule;
  correlationId: string;
  requestedBy: string;
  signal?: AbortSignal;
  /** Called once the hold is stored, then every few seconds while it waits. */
  onWaiting?: (approvalId: string, waitedSeconds: number) => void;
}

/** The agent behind a caller key (`agent:<id>`), or null for the admin and the unknown. */
export const agentOfKey = (key: string): string | null => (key.startsWith('agent:') ? key.slice(6) : null);

export class ApprovalGate {
  private readonly waiters = new Map<string, (a: StoredApproval) => void>();
  /** Expiry timers of opened (relayed) approvals. */
  private readonly expiries = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly store: GatewayStore,
    private readonly opts: {
      timeoutMs: () => number;
      now: () => number;
      onEvent: (a: StoredApproval) => void;
      /** The project of a requesting agent (null: unknown). */
      projectOf: (agentId: string) => Promise<string | null>;
      /**
       * Hears every decision, made on this node or another (the bus): `onDecided(id)` is called with
       * the approval's id. Without it only decisions made here release this node's waits.
       */
      watch?: (onDecided: (id: string) => void) => Unsubscribe;
      /** Other nodes share the store (and hold approvals of their own). */
      cluster?: boolean;
      /** This node and the live ones (each held call records its node; the sweep ends dead nodes' calls). */
      nodes?: ApprovalNodes;
    },
  ) {
    this.unwatch = opts.watch?.((id) => void this.decidedElsewhere(id));
  }

  private readonly unwatch: Unsubscribe | undefined;

  /** A decision was recorded (maybe on another node): releases this node's wait on it, if any. */
  private async decidedElsewhere(id: string): Promise<void> {
    if (!this.waiters.has(id) && !this.expiries.has(id)) return;
    const stored = await this.store.getApproval(id).catch(() => undefined);
    if (!stored || stored.status === 'pending') return;
    clearTimeout(this.expiries.get(id));
    this.expiries.delete(id);
    const release = this.waiters.get(id);
    this.waiters.delete(id);
    release?.(stored);
  }

  /**
   * At start. One node alone: the pending ones were left by its previous run, their callers are gone,
   * so they are cancelled. Cluster: other nodes may be holding theirs; only this node's previous
   * run's calls (the same node id) and overdue ones are ended.
   */
  async cancelLeftovers(): Promise<void> {
    if (this.opts.cluster) {
      const self = this.opts.nodes?.id;
      for (const a of await this.pendingCalls()) {
        if (a.nodeId !== self) continue;
        const why = `the hub node holding the call (${self}) restarted before a decision`;
        await this.decide(a.id, 'failed', 'system', why).catch(() => {}); // decided meanwhile
      }
      await this.expireOverdue();
      return;
    }
    for (const a of await this.store.listApprovals({ status: 'pending', limit: 10_000 })) {
      await this.decide(a.id, 'cancelled', 'system', 'the hub restarted while it was waiting').catch(
        () => {}, // decided meanwhile
      );
    }
  }

  /** The cluster's periodic sweep (one node at a time): calls of stopped nodes, then overdue ones. */
  async sweep(): Promise<number> {
    return (await this.endOrphaned()) + (await this.expireOverdue());
  }

  /**
   * Ends, as `failed`, the pending held calls whose node is not live: it died (its heartbeats
   * stopped) or left, and with it the call and its caller's connection, so no decision could release
   * anything. Each end is the one conditional decision, so racing a person's decision is harmless.
   */
  async endOrphaned(): Promise<number> {
    const nodes = this.opts.nodes;
    if (!nodes) return 0;
    const held = (await this.pendingCalls()).filter((a) => a.nodeId !== null && a.nodeId !== nodes.id);
    if (!held.length) return 0;
    const live = await nodes.liveIds();
    let ended = 0;
    for (const a of held) {
      if (await this.endIfOrphaned(a, live)) ended++;
    }
    return ended;
  }

  /** Ends `a` as failed when it is a pending held call whose node is not in `live`; true if this did. */
  private async endIfOrphaned(a: StoredApproval, live?: Set<string>): Promise<boolean> {
    const nodes = this.opts.nodes;
    if (!nodes || a.status !== 'pending' || a.kind !== 'gateway_call' || a.nodeId === null) return false;
    if ((live ?? (await nodes.liveIds())).has(a.nodeId)) return false;
    const reason = holderStopped(a.nodeId, await nodes.whyGone(a.nodeId));
    return this.decide(a.id, 'failed', 'system', reason).then(
      () => true,
      () => false, // decided meanwhile
    );
  }

  private pendingCalls(): Promise<StoredApproval[]> {
    return this.store.listApprovals({ status: 'pending', kind: 'gateway_call', limit: 10_000 });
  }

  /**
   * Times out pending approvals past their expiry whose node did not (it died): the sweep of a
   * cluster. Racing the holding node's own timer is harmless: the store records one decision.
   */
  async expireOverdue(): Promise<number> {
    const now = this.opts.now();
    let ended = 0;
    for (const a of await this.store.listApprovals({ status: 'pending', limit: 10_000 })) {
      if (Date.parse(a.expiresAt) > now) continue;
      const done = await this.decide(a.id, 'timed_out', 'system', 'no decision before it expired').then(
        () => true,
        () => false, // decided meanwhile (by its node's timer, or a person)
      );
      if (done) ended++;
    }
    return ended;
  }

  /**
   * Stores a pending approval nobody blocks on in this process (a relayed permission prompt) and
   * times it out at its expiry. Its requester learns the decision by reading it back (events wake it).
   */
  async open(approval: StoredApproval): Promise<StoredApproval> {
    await this.store.addApproval(approval);
    this.opts.onEvent(approval);
    const timer = setTimeout(
      () => {
        this.expiries.delete(approval.id);
        this.decide(approval.id, 'timed_out', 'system', 'no decision before it expired').catch(() => {});
      },
      Math.max(0, Date.parse(approval.expiresAt) - this.opts.now()),
    );
    timer.unref();
    this.expiries.set(approval.id, timer);
    return approval;
  }

  async get(id: string): Promise<StoredApproval | undefined> {
    return this.store.getApproval(id);
  }

  /**
   * The hub is closing: the calls this node holds end as `failed` (their callers get the answer
   * now; no decision could release them later), and the expiry timers stop (relayed prompts stay
   * pending: their requester may reach another node, or a restart cancels them).
   */
  async close(): Promise<void> {
    const self = this.opts.nodes?.id;
    const why = this.opts.cluster
      ? `the hub node holding the call (${self}) shut down before a decision`
      : 'the hub shut down before a decision';
    for (const id of [...this.waiters.keys()]) await this.decide(id, 'failed', 'system', why).catch(() => {});
    this.unwatch?.();
    for (const timer of this.expiries.values()) clearTimeout(timer);
    this.expiries.clear();
  }

  /** Resolves when approved; throws `forbidden` when denied, timed out or cancelled. */
  async hold(req: HoldRequest): Promise<StoredApproval> {
    const now = this.opts.now();
    const timeoutMs =
      req.rule.timeoutSeconds !== undefined ? req.rule.timeoutSeconds * 1000 : this.opts.timeoutMs();
    const agentId = agentOfKey(req.requestedBy);
    const approval: StoredApproval = {
      id: newId('appr'),
      kind: 'gateway_call',
      agentId,
      project: agentId ? await this.opts.projectOf(agentId) : null,
      permission: null,
      tool: req.tool,
      server: req.server,
      args: req.args,
      rule: req.rule.reason ?? `tools ${req.rule.tools.join(', ')}`,
      correlationId: req.correlationId,
      requestedBy: req.requestedBy,
      requestedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + timeoutMs).toISOString(),
      status: 'pending',
      decidedBy: null,
      decidedAt: null,
      reason: null,
      nodeId: this.opts.nodes?.id ?? null,
    };
    const decided = new Promise<StoredApproval>((resolve) => this.waiters.set(approval.id, resolve));
    await this.store.addApproval(approval);
    this.opts.onEvent(approval);
    req.onWaiting?.(approval.id, 0);
    const started = Date.now();
    const ticker = setInterval(
      () => req.onWaiting?.(approval.id, Math.round((Date.now() - started) / 1000)),
      2000,
    );
    // Either may find it decided already (on another node, or by the sweep): the decision stands.
    const timer = setTimeout(
      () =>
        void this.decide(approval.id, 'timed_out', 'system', 'no decision before the approval timeout').catch(
          () => {},
        ),
      timeoutMs,
    );
    const onAbort = () =>
      void this.decide(approval.id, 'cancelled', 'system', 'the caller cancelled the call').catch(() => {});
    req.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const final = await decided;
      if (final.status === 'approved') return final;
      const why =
        final.status === 'timed_out'
          ? `no decision within ${Math.round(timeoutMs / 1000)} s (the approval timeout), so it was denied`
          : final.status === 'cancelled'
            ? 'the hold was cancelled'
            : final.status === 'failed'
              ? 'the hold ended without a decision'
              : `denied by ${final.decidedBy}`;
      throw new ApprovalDeniedError(
        `${req.tool} needs approval (${approval.rule}); ${why}${final.reason ? `: ${final.reason}` : ''} [approval ${approval.id}]`,
      );
    } finally {
      clearInterval(ticker);
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
      this.waiters.delete(approval.id);
    }
  }

  /**
   * A person's decision (approve_call / deny_call). A held call whose node is not live is ended
   * (failed, naming the node) instead of decided, and the decider gets a conflict saying so.
   */
  async decideAsPerson(
    id: string,
    status: 'approved' | 'denied',
    by: string,
    reason: string | null,
  ): Promise<StoredApproval> {
    const a = await this.store.getApproval(id);
    if (a) await this.endIfOrphaned(a);
    return this.decide(id, status, by, reason);
  }

  /** Records a decision on a pending approval and releases the waiting call. */
  async decide(id: string, status: Decided, by: string, reason: string | null): Promise<StoredApproval> {
    const changed = await this.store.decideApproval(id, {
      status,
      decidedBy: by,
      decidedAt: new Date(this.opts.now()).toISOString(),
      reason,
    });
    const stored = await this.store.getApproval(id);
    if (!stored) throw new HubError('not_found', `No approval ${id}; list_approvals shows them`);
    if (!changed) {
      throw new HubError(
        'conflict',
        stored.status === 'failed'
          ? `Approval ${id} can no longer be decided: it ended at ${stored.decidedAt} (${stored.reason}); the call failed, and its caller may make it again`
          : `Approval ${id} was decided already (${stored.status} by ${stored.decidedBy} at ${stored.decidedAt})`,
        { details: { approval_id: id, status: stored.status } },
      );
    }
    clearTimeout(this.expiries.get(id));
    this.expiries.delete(id);
    this.opts.onEvent(stored);
    const release = this.waiters.get(id);
    this.waiters.delete(id);
    release?.(stored);
    return stored;
  }

  async list(filter: ApprovalFilter): Promise<StoredApproval[]> {
    return this.store.listApprovals(filter);
  }
}
