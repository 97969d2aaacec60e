/**
 * Folds the happenings behind the performance and engagement figures into rollup rows. The live
 * recorder (perf-recorder.ts) and the rebuild from the log both feed this one fold, so both count
 * alike. Pure: no store, no clock; what it must remember from earlier batches (who started a thread,
 * which requests were answered) comes in as `PerfMemory` and goes out in the delta.
 *
 * Latency samples count in the minute the thing ended, for the agent that ended it:
 * - `delivery`: message sent → a recipient read it (reader);
 * - `ack`: message sent → a recipient acknowledged it (acker), every ack;
 * - `response`: request sent → a recipient's first `response` replying to it (responder);
 * - `first_response`: a thread's first message → the first message in it from anyone else (that agent);
 * - `task_claim`: task created → its first claim (claimer);
 * - `task_complete`: claim → completed, for the attempt that completed it (completer);
 * - `turn`: an instance's user turn sent → its result (the instance's agent).
 * Reply rows count in the minute of the original message, on the pair (sender → recipient).
 *
 * A first response in a thread started in an earlier batch, and every first answer to a request,
 * leave the fold as claims (store/analytics.ts): the memory they were folded from may be read by
 * several nodes at once, so the store counts each for the one delta that claims it.
 */
import type {
  AnswerClaim,
  FirstResponseClaim,
  LatencyRollup,
  PerfDelta,
  PerfMemory,
  ReplyRollup,
  ThreadStart,
} from '../../store/analytics.js';
import { minuteOf } from './buckets.js';
import type { Who } from './fold.js';
import { binOf } from './histogram.js';

export const LATENCY_METRICS = [
  'delivery',
  'ack',
  'response',
  'first_response',
  'task_claim',
  'task_complete',
  'turn',
] as const;
export type LatencyMetric = (typeof LATENCY_METRICS)[number];

/** The message a response answers or an ack acknowledges. */
export interface OriginalMessage {
  id: string;
  from: Who;
  type: string;
  createdAt: string;
  recipients: string[];
  ackRequired: boolean;
}

export interface SentMessage {
  id: string;
  at: string;
  from: Who;
  type: string;
  threadId: string;
  ackRequired: boolean;
  recipients: Who[];
}

const between = (from: string | number, to: string | number) =>
  Math.max(
    0,
    (typeof to === 'number' ? to : Date.parse(to)) - (typeof from === 'number' ? from : Date.parse(from)),
  );

export const answeredKey = (requestId: string, agentId: string) => `${requestId}\u0000${agentId}`;

export class PerfFold {
  private readonly latencyRows = new Map<string, LatencyRollup>();
  private readonly replyRows = new Map<string, ReplyRollup>();
  private readonly threadsNew = new Map<string, ThreadStart>();
  private readonly threadsAnswered = new Map<string, FirstResponseClaim>();
  private answeredNew: AnswerClaim[] = [];

  constructor(private readonly memory: PerfMemory) {}

  get empty(): boolean {
    return (
      this.latencyRows.size +
        this.replyRows.size +
        this.threadsNew.size +
        this.threadsAnswered.size +
        this.answeredNew.length ===
      0
    );
  }

  /** A message was sent; `original`: the message it replies to, when it is a response. */
  sent(m: SentMessage, original?: OriginalMessage): void {
    const minute = minuteOf(m.at);
    for (const r of m.recipients) {
      if (m.type !== 'request' && !m.ackRequired) continue;
      const row = this.reply(minute, m.from, r.id);
      if (m.type === 'request') row.requests++;
      if (m.ackRequired) row.ackRequired++;
    }
    if (
      m.type === 'response' &&
      original?.type === 'request' &&
      original.from.id !== m.from.id &&
      original.recipients.includes(m.from.id)
    ) {
      const key = answeredKey(original.id, m.from.id);
      if (!this.memory.answered.has(key)) {
        this.memory.answered.add(key);
        this.answeredNew.push({
          requestId: original.id,
          agentId: m.from.id,
          latency: sample(minute, m.from, 'response', between(original.createdAt, m.at)),
          reply: { ...replyRow(minuteOf(original.createdAt), original.from, m.from.id), answered: 1 },
        });
      }
    }
    // A new thread takes its first message's id; it is remembered until someone else speaks in it.
    if (m.threadId === m.id) {
      const start = { threadId: m.threadId, starter: m.from.id, startedMs: Date.parse(m.at) };
      this.memory.threads.set(m.threadId, start);
      this.threadsNew.set(m.threadId, start);
      return;
    }
    const t = this.memory.threads.get(m.threadId);
    if (t && t.starter !== m.from.id) {
      this.memory.threads.delete(m.threadId);
      const ms = between(t.startedMs, m.at);
      // Started in this batch: nobody else can have remembered it, so it counts as it is.
      if (this.threadsNew.delete(m.threadId)) this.latency(minute, m.from, 'first_response', ms);
      else
        this.threadsAnswered.set(m.threadId, {
          threadId: m.threadId,
          latency: sample(minute, m.from, 'first_response', ms),
        });
    }
  }

  /** `reader` read a message sent at `sentAt`, at `at`. */
  read(at: string, reader: Who, sentAt: string): void {
    this.latency(minuteOf(at), reader, 'delivery', between(sentAt, at));
  }

  /** `acker` acknowledged `message` at `at`. */
  acked(at: string, acker: Who, message: { from: Who; createdAt: string; ackRequired: boolean }): void {
    this.latency(minuteOf(at), acker, 'ack', between(message.createdAt, at));
    if (message.ackRequired) this.reply(minuteOf(message.createdAt), message.from, acker.id).acked++;
  }

  /** A task was claimed at `claimedAt`; only its first claim (`attempt` 1) counts. */
  claimed(claimedAt: string, claimer: Who, createdAt: string, attempt: number): void {
    if (attempt === 1)
      this.latency(minuteOf(claimedAt), claimer, 'task_claim', between(createdAt, claimedAt));
  }

  completed(finishedAt: string, completer: Who, claimedAt: string): void {
    this.latency(minuteOf(finishedAt), completer, 'task_complete', between(claimedAt, finishedAt));
  }

  /** An instance's turn ended at `at` after `ms`. */
  turn(at: string, agent: Who, ms: number): void {
    this.latency(minuteOf(at), agent, 'turn', Math.max(0, ms));
  }

  /** The rows folded so far; the fold starts empty again (its memory stays). */
  take(): PerfDelta {
    const delta: PerfDelta = {
      latency: [...this.latencyRows.values()],
      replies: [...this.replyRows.values()],
      threadStarts: [...this.threadsNew.values()],
      threadsAnswered: [...this.threadsAnswered.values()],
      answered: this.answeredNew,
    };
    this.latencyRows.clear();
    this.replyRows.clear();
    this.threadsNew.clear();
    this.threadsAnswered.clear();
    this.answeredNew = [];
    return delta;
  }

  private latency(minute: number, who: Who, metric: LatencyMetric, ms: number): void {
    const bin = binOf(ms);
    const key = `${minute}\u0000${metric}\u0000${who.id}\u0000${bin}`;
    let r = this.latencyRows.get(key);
    if (!r) {
      r = { ...sample(minute, who, metric, ms), count: 0, sumMs: 0 };
      this.latencyRows.set(key, r);
    }
    r.count++;
    r.sumMs += ms;
  }

  private reply(minute: number, from: Who, to: string): ReplyRollup {
    const key = `${minute}\u0000${from.id}\u0000${to}`;
    let r = this.replyRows.get(key);
    if (!r) {
      r = replyRow(minute, from, to);
      this.replyRows.set(key, r);
    }
    return r;
  }
}

/** One latency sample as a rollup row. */
function sample(minute: number, who: Who, metric: LatencyMetric, ms: number): LatencyRollup {
  return { minute, project: who.project, metric, agentId: who.id, bin: binOf(ms), count: 1, sumMs: ms };
}

/** An empty reply row of the pair (from → to). */
function replyRow(minute: number, from: Who, to: string): ReplyRollup {
  return {
    minute,
    project: from.project,
    from: from.id,
    to,
    requests: 0,
    answered: 0,
    ackRequired: 0,
    acked: 0,
  };
}
