/**
 * Keeps the rollups up to date as things happen. Bus listeners and call hooks only queue a small
 * record (the send path pays for an array push); a timer (and every analytics query) folds the queue
 * and writes the rows in one batch, looking up what the events do not carry (projects, the message a
 * response answers, an instance's usage) off the hot path.
 */
import { channels } from '../../bus/bus.js';
import type { HubEvent } from '../../bus/events.js';
import type { DomainDeps } from '../deps.js';
import { type SentFact, sentFact } from './sent-fact.js';
import { minuteOf } from './buckets.js';
import { RollupFold, type Who } from './fold.js';
import { PerfRecorder } from './perf-recorder.js';
import { FLUSH_SLICE, FOLD_RECORDS, WRITE_THREAD_ROWS } from './flush-slice.js';
import { splitDelta } from './split-delta.js';

type Pending =
  | SentFact
  | { k: 'ack'; at: string; by: string; sender: string }
  | { k: 'task'; at: string; agentId: string; project: string; what: 'claimed' | 'completed' | 'failed' }
  | { k: 'instance'; at: string; instanceId: string }
  | {
      k: 'call';
      at: number;
      kind: 'operation' | 'tool';
      name: string;
      ms: number;
      error: boolean;
      agentId: string | null;
    };

/** Past this many queued records a flush starts at once, so memory stays bounded under load. */
const MAX_PENDING = 20_000;
const FLUSH_MS = 1000;

/** Agent id → project, looked up once (an agent's project never changes). */
export class ProjectResolver {
  private readonly known = new Map<string, string>();
  constructor(private readonly d: DomainDeps) {}

  /** Looks up the agents not known yet, so `known` answers for all of them. */
  async prime(ids: Iterable<string>): Promise<void> {
    if (this.known.size > 100_000) this.known.clear();
    for (const id of ids) if (!this.known.has(id)) await this.who(id);
  }

  /** The agent's project if primed (else '': unknown agent). */
  whoNow(id: string): Who {
    return { id, project: this.known.get(id) ?? '' };
  }

  async who(id: string): Promise<Who> {
    let project = this.known.get(id);
    if (project === undefined) {
      project = (await this.d.store.getAgent(id))?.project ?? '';
      this.known.set(id, project);
    }
    return { id, project };
  }
}

export class AnalyticsRecorder {
  private pending: Pending[] = [];
  private chain: Promise<void> = Promise.resolve();
  /** The flush queued behind the running one, not started yet. */
  private waiting?: Promise<void>;
  private readonly unsubscribe: () => void = () => {};
  private readonly projects: ProjectResolver;
  private stopped = false;

  constructor(private readonly d: DomainDeps) {
    this.projects = new ProjectResolver(d);
    if (!d.config.analytics.enabled) {
      // Analytics off (config analytics.enabled): nothing is queued, nothing is written.
      this.stopped = true;
      return;
    }
    this.unsubscribe = d.bus.subscribeLocal(channels.all, (e) => this.onEvent(e));
    d.timers.every('analytics flush', FLUSH_MS, () => this.flush());
  }

  /** A hub operation finished (`agentId`: the calling agent, if any). */
  operation(name: string, seconds: number, error: boolean, agentId: string | null): void {
    this.push({
      k: 'call',
      at: this.d.clock.now(),
      kind: 'operation',
      name,
      ms: seconds * 1000,
      error,
      agentId,
    });
  }

  /** A downstream tool call through the gateway finished. */
  tool(name: string, seconds: number, error: boolean): void {
    this.push({
      k: 'call',
      at: this.d.clock.now(),
      kind: 'tool',
      name,
      ms: seconds * 1000,
      error,
      agentId: null,
    });
  }

  private perfRecorder?: PerfRecorder;

  /** Performance and engagement rollups (flushed with the rest). */
  private get perf(): PerfRecorder {
    this.perfRecorder ??= new PerfRecorder(this.d, this.projects, (n) => {
      if (n >= MAX_PENDING) void this.flush();
    });
    return this.perfRecorder;
  }

  /** An agent marked these deliveries (cursors) read at `at`. */
  read(agentId: string, cursors: number[], at: string): void {
    if (!this.stopped) this.perf.read(agentId, cursors, at);
  }

  private onEvent(e: HubEvent): void {
    if (this.stopped) return;
    if (e.type === 'message.sent') {
      // One record for both recorders (neither changes it).
      const fact = sentFact(e);
      this.perf.sent(fact);
      this.push(fact);
      return;
    }
    this.perf.onEvent(e);
    switch (e.type) {
      case 'ack':
        this.push({ k: 'ack', at: e.at, by: e.by, sender: e.to });
        break;
      case 'task.claimed':
      case 'task.completed':
      case 'task.failed':
        if (e.task.assignee)
          this.push({
            k: 'task',
            at: (e.type === 'task.claimed' ? e.task.claimed_at : e.task.finished_at) ?? e.at,
            agentId: e.task.assignee,
            project: e.task.project,
            what: e.type.slice(5) as 'claimed' | 'completed' | 'failed',
          });
        break;
      case 'instance.status':
      case 'instance.ended':
        this.push({
          k: 'instance',
          at: e.at,
          instanceId: 'instance' in e ? e.instance.instance_id : e.instance_id,
        });
        break;
      default:
    }
  }

  private push(p: Pending): void {
    if (this.stopped) return;
    this.pending.push(p);
    if (this.pending.length >= MAX_PENDING) void this.flush();
  }

  /**
   * Folds and writes everything queued so far; resolves once it is stored. Flushes run one at a time,
   * and at most one waits behind the running one: it takes everything queued when it starts, so a
   * caller that finds one waiting shares it (under overload every record past MAX_PENDING used to
   * queue a flush of its own).
   */
  flush(): Promise<void> {
    if (this.waiting) return this.waiting;
    const run = this.chain.then(() => {
      this.waiting = undefined;
      return this.flushNow();
    });
    this.waiting = run;
    this.chain = run.catch((err) => this.d.logger.warn({ err }, 'analytics rollup flush failed'));
    return run;
  }

  private async flushNow(): Promise<void> {
    // A failure there must not hold back the other rollups.
    await this.perf
      .flushNow()
      .catch((err: unknown) => this.d.logger.warn({ err }, 'analytics performance rollup flush failed'));
    const queued = this.pending;
    this.pending = [];
    // Up to FOLD_RECORDS records are folded together (in slices, a turn of the event loop between
    // them), then written in short transactions (see WRITE_THREAD_ROWS).
    for (let start = 0; start < queued.length; start += FOLD_RECORDS) {
      const end = Math.min(start + FOLD_RECORDS, queued.length);
      const fold = new RollupFold();
      const instances = new Map<string, string>();
      for (let i = start; i < end; i += FLUSH_SLICE) {
        if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
        await this.fold(queued.slice(i, Math.min(i + FLUSH_SLICE, end)), fold, instances);
      }
      // Usage after the records folded with it: it counts growth since the usage stored.
      if (instances.size > 0) await this.foldUsage(fold, instances);
      if (fold.empty) continue;
      for (const part of splitDelta(fold.take(), WRITE_THREAD_ROWS)) await this.d.store.analytics.apply(part);
    }
  }

  /** Folds one slice of the queue into `fold`; instances whose usage to count go to `instances`. */
  private async fold(batch: Pending[], fold: RollupFold, instances: Map<string, string>): Promise<void> {
    // Look up what the events do not carry first, then fold without awaiting per record.
    const ids = new Set<string>();
    const replies = new Map<string, { from: string; createdAt: string } | undefined>();
    for (const p of batch) {
      if (p.k === 'sent') {
        ids.add(p.from);
        for (const r of p.to) ids.add(r);
        if (p.type === 'response' && p.replyTo) replies.set(p.replyTo, undefined);
      } else if (p.k === 'ack') ids.add(p.sender);
      else if (p.k === 'call' && p.agentId) ids.add(p.agentId);
    }
    for (const id of replies.keys()) {
      const asked = await this.d.store.getMessage(id);
      if (asked) {
        replies.set(id, asked);
        ids.add(asked.from);
      }
    }
    await this.projects.prime(ids);
    const who = (id: string) => this.projects.whoNow(id);
    for (const p of batch) {
      if (p.k === 'sent') {
        const minute = minuteOf(p.at);
        fold.message({
          minute,
          id: p.id,
          from: who(p.from),
          type: p.type,
          threadId: p.threadId,
          recipients: p.to.map(who),
        });
        const asked = p.type === 'response' && p.replyTo ? replies.get(p.replyTo) : undefined;
        if (asked)
          fold.response(minute, who(asked.from), p.from, Date.parse(p.at) - Date.parse(asked.createdAt));
      } else if (p.k === 'ack') {
        fold.ack(minuteOf(p.at), who(p.sender), p.by);
      } else if (p.k === 'task') {
        fold.task(minuteOf(p.at), { id: p.agentId, project: p.project }, p.what);
      } else if (p.k === 'instance') {
        instances.set(p.instanceId, p.at);
      } else {
        fold.call(minuteOf(p.at), p.kind, p.name, p.agentId ? who(p.agentId).project : '', p.ms, p.error);
      }
    }
  }

  /** Counts what each instance used since it was last counted. */
  private async foldUsage(fold: RollupFold, instances: Map<string, string>): Promise<void> {
    const seen = await this.d.store.analytics.instanceUsage([...instances.keys()]);
    for (const [id, at] of instances) {
      const rec = await this.d.store.instances.getInstance(id);
      if (!rec) continue;
      const before = seen.get(id) ?? { tokens: 0, costUsd: 0 };
      const grown = { tokens: rec.tokens - before.tokens, costUsd: rec.costUsd - before.costUsd };
      if (grown.tokens === 0 && grown.costUsd === 0) continue;
      fold.usageGrew(minuteOf(at), await this.projects.who(rec.agentId), id, grown, {
        tokens: rec.tokens,
        costUsd: rec.costUsd,
      });
    }
  }

  /** Stops listening and writes what is queued. */
  async shutdown(): Promise<void> {
    this.d.timers.stop('analytics flush');
    this.unsubscribe();
    await this.flush().catch(() => {});
    this.stopped = true;
  }

  /** Drops what is queued but calls (before a rebuild, which reads the rest from the log). */
  discardLogged(): void {
    this.pending = this.pending.filter((p) => p.k === 'call');
    this.perf.discard();
  }
}
