/**
 * Approvals: a downstream call that matches a rule (tool-name globs and argument patterns) is held
 * until a person approves or denies it (approve_call / deny_call), or the approval timeout passes
 * (then it is denied). The same queue holds the permission prompts Claude Code sessions relay
 * (`open`; decided the same way, or timed out at their expiry). The request and every decision are
 * stored: who asked, who decided, when, why. A hub that restarts cancels the pending ones it had
 * (their callers were disconnected with it).
 *
 * Cluster mode: the held call waits on the node that holds its downstream call, but the decision may
 * be made on any node. The store records exactly one decision (a conditional write); every node hears
 * of it through the cluster bus (`watch`) and the node holding the call reads it back and releases
 * the call — once: its waiter is removed as it is resolved. A node starting does not cancel pending
 * approvals (other nodes hold them); pending ones past their expiry — their node died — are timed
 * out by a sweep one node at a time (`expireOverdue`).
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
   * so they are cancelled. Cluster: other nodes may be holding them; only overdue ones are ended.
   */
  async cancelLeftovers(): Promise<void> {
    if (this.opts.cluster) {
      await this.expireOverdue();
      return;
    }
    for (const a of await this.store.listApprovals({ status: 'pending', limit: 10_000 })) {
      await this.decide(a.id, 'cancelled', 'system', 'the hub restarted while it was waiting').catch(
        () => {}, // decided meanwhile
      );
    }
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

  /** Stops the expiry timers (the hub is closing; a restart cancels what was pending). */
  close(): void {
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
        `Approval ${id} was decided already (${stored.status} by ${stored.decidedBy} at ${stored.decidedAt})`,
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
