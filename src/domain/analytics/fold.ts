/**
 * Folds happenings into rollup rows keyed by minute. The live recorder and the rebuild from the log
 * both feed this one fold, so both count alike. Pure: no store, no clock.
 *
 * Counting rules: a message counts once as `sent` for its sender and once per recipient as `received`
 * and as a message on the pair (sender → recipient). A request counts on that pair too. A response
 * (type `response` replying to a message) counts on the pair of the message it answers (asker →
 * responder), with its latency; an ack counts on the pair of the acknowledged message (sender → acker).
 */
import type {
  AgentRollup,
  CallRollup,
  PairRollup,
  RollupDelta,
  ThreadRollup,
} from '../../store/analytics.js';
import { binOf } from './histogram.js';

export interface Who {
  id: string;
  project: string;
}

/** A minute's rows, keyed within the minute (a fold mostly sees one or two minutes). */
class MinuteRows {
  readonly pairs = new Map<string, PairRollup>();
  readonly agents = new Map<string, AgentRollup>();
  readonly threads = new Map<string, ThreadRollup>();
  constructor(readonly minute: number) {}
}

export class RollupFold {
  private readonly minutes = new Map<number, MinuteRows>();
  /** The minute looked up last (consecutive records nearly always share it). */
  private last?: MinuteRows;
  private readonly calls = new Map<string, CallRollup>();
  /** Threads whose first message was folded here (a thread takes its first message's id). */
  private started: string[] = [];
  private readonly usage = new Map<string, { instanceId: string; tokens: number; costUsd: number }>();

  get empty(): boolean {
    return this.minutes.size + this.calls.size + this.usage.size === 0;
  }

  message(m: {
    minute: number;
    /** The message's id, when known: a message whose thread has its id started that thread. */
    id?: string;
    from: Who;
    type: string;
    threadId: string;
    recipients: Who[];
  }): void {
    const rows = this.at(m.minute);
    if (m.id === m.threadId) this.started.push(m.threadId);
    this.agent(rows, m.from).sent++;
    this.thread(rows, m.threadId, m.from, m.type).sent++;
    for (const r of m.recipients) {
      const p = this.pair(rows, m.from, r.id);
      p.messages++;
      if (m.type === 'request') p.requests++;
      this.agent(rows, r).received++;
      this.thread(rows, m.threadId, r, m.type).received++;
    }
  }

  /** `asker` sent the message that `responder` answered `latencyMs` after it was sent. */
  response(minute: number, asker: Who, responder: string, latencyMs: number): void {
    const p = this.pair(this.at(minute), asker, responder);
    p.responses++;
    p.latencyMsSum += latencyMs;
    p.latencyCount++;
  }

  ack(minute: number, sender: Who, acker: string): void {
    this.pair(this.at(minute), sender, acker).acks++;
  }

  task(minute: number, agent: Who, what: 'claimed' | 'completed' | 'failed'): void {
    const a = this.agent(this.at(minute), agent);
    if (what === 'claimed') a.tasksClaimed++;
    else if (what === 'completed') a.tasksCompleted++;
    else a.tasksFailed++;
  }

  /** An instance's usage grew by (tokens, costUsd) for its agent; `total` is what it now stands at. */
  usageGrew(
    minute: number,
    agent: Who,
    instanceId: string,
    grown: { tokens: number; costUsd: number },
    total: { tokens: number; costUsd: number },
  ): void {
    const a = this.agent(this.at(minute), agent);
    a.tokens += grown.tokens;
    a.costUsd += grown.costUsd;
    this.usage.set(instanceId, { instanceId, ...total });
  }

  call(
    minute: number,
    kind: 'operation' | 'tool',
    name: string,
    project: string,
    ms: number,
    error: boolean,
  ): void {
    const bin = binOf(ms);
    const key = `${minute}\u0000${kind}\u0000${name}\u0000${project}\u0000${bin}`;
    let c = this.calls.get(key);
    if (!c) {
      c = { minute, kind, name, project, bin, calls: 0, errors: 0, latencyMsSum: 0 };
      this.calls.set(key, c);
    }
    c.calls++;
    if (error) c.errors++;
    c.latencyMsSum += ms;
  }

  /** The rows folded so far; the fold starts empty again. */
  take(): RollupDelta {
    const delta: RollupDelta = {
      pairs: [],
      agents: [],
      threads: [],
      threadsStarted: this.started,
      calls: [...this.calls.values()],
      instanceUsage: [...this.usage.values()],
    };
    for (const rows of this.minutes.values()) {
      for (const p of rows.pairs.values()) delta.pairs.push(p);
      for (const a of rows.agents.values()) delta.agents.push(a);
      for (const t of rows.threads.values()) delta.threads.push(t);
    }
    this.minutes.clear();
    this.started = [];
    this.last = undefined;
    this.calls.clear();
    this.usage.clear();
    return delta;
  }

  private at(minute: number): MinuteRows {
    if (this.last?.minute === minute) return this.last;
    let rows = this.minutes.get(minute);
    if (!rows) {
      rows = new MinuteRows(minute);
      this.minutes.set(minute, rows);
    }
    this.last = rows;
    return rows;
  }

  private pair(rows: MinuteRows, from: Who, to: string): PairRollup {
    const key = `${from.id}\u0000${to}`;
    let p = rows.pairs.get(key);
    if (!p) {
      p = {
        minute: rows.minute,
        project: from.project,
        from: from.id,
        to,
        messages: 0,
        requests: 0,
        responses: 0,
        acks: 0,
        latencyMsSum: 0,
        latencyCount: 0,
      };
      rows.pairs.set(key, p);
    }
    return p;
  }

  private agent(rows: MinuteRows, who: Who): AgentRollup {
    let a = rows.agents.get(who.id);
    if (!a) {
      a = {
        minute: rows.minute,
        agentId: who.id,
        project: who.project,
        sent: 0,
        received: 0,
        tasksClaimed: 0,
        tasksCompleted: 0,
        tasksFailed: 0,
        tokens: 0,
        costUsd: 0,
      };
      rows.agents.set(who.id, a);
    }
    return a;
  }

  private thread(rows: MinuteRows, threadId: string, who: Who, type: string): ThreadRollup {
    const key = `${threadId}\u0000${who.id}\u0000${type}`;
    let t = rows.threads.get(key);
    if (!t) {
      t = {
        minute: rows.minute,
        threadId,
        agentId: who.id,
        project: who.project,
        type,
        sent: 0,
        received: 0,
      };
      rows.threads.set(key, t);
    }
    return t;
  }
}
