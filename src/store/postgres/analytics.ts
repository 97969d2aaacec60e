/**
 * PostgreSQL implementation of AnalyticsStore: the writes (rollup deltas, the performance fold's
 * memory) and the log scans a rebuild reads (analytics-log.ts, one snapshot per rebuild). The
 * figures read back are in analytics-reads.ts.
 *
 * Every node records the traffic it sees into the same rows: each delta is one transaction of
 * `INSERT … ON CONFLICT DO UPDATE SET n = t.n + excluded.n` statements (analytics-upsert.ts), so
 * counters are increments done by the database, never a value read in Node and written back.
 */
import type {
  AgentRollup,
  AnalyticsStore,
  CallRollup,
  DeliveryRead,
  LatencyRollup,
  LogAttempt,
  LogMessage,
  LogScans,
  PairRollup,
  PerfDelta,
  PerfMemory,
  ReplyRollup,
  RollupDelta,
  ThreadRollup,
} from '../analytics.js';
import { PgLogScans } from './analytics-log.js';
import { AnalyticsReads } from './analytics-reads.js';
import { type Col, upsertRows } from './analytics-upsert.js';
import type { PgDatabase, Queryable } from './database.js';
import { ROLLUPS } from './migrations/004-analytics.js';

const PAIRS: Array<Col<PairRollup>> = [
  { name: 'minute', type: 'integer', key: true, of: (r) => r.minute },
  { name: 'project', type: 'text', of: (r) => r.project },
  { name: 'from_agent', type: 'text', key: true, of: (r) => r.from },
  { name: 'to_agent', type: 'text', key: true, of: (r) => r.to },
  { name: 'messages', type: 'bigint', add: true, of: (r) => r.messages },
  { name: 'requests', type: 'bigint', add: true, of: (r) => r.requests },
  { name: 'responses', type: 'bigint', add: true, of: (r) => r.responses },
  { name: 'acks', type: 'bigint', add: true, of: (r) => r.acks },
  { name: 'latency_ms_sum', type: 'double precision', add: true, of: (r) => r.latencyMsSum },
  { name: 'latency_count', type: 'bigint', add: true, of: (r) => r.latencyCount },
];

const AGENTS: Array<Col<AgentRollup>> = [
  { name: 'minute', type: 'integer', key: true, of: (r) => r.minute },
  { name: 'agent_id', type: 'text', key: true, of: (r) => r.agentId },
  { name: 'project', type: 'text', of: (r) => r.project },
  { name: 'sent', type: 'bigint', add: true, of: (r) => r.sent },
  { name: 'received', type: 'bigint', add: true, of: (r) => r.received },
  { name: 'tasks_claimed', type: 'bigint', add: true, of: (r) => r.tasksClaimed },
  { name: 'tasks_completed', type: 'bigint', add: true, of: (r) => r.tasksCompleted },
  { name: 'tasks_failed', type: 'bigint', add: true, of: (r) => r.tasksFailed },
  { name: 'tokens', type: 'bigint', add: true, of: (r) => r.tokens },
  { name: 'cost_usd', type: 'double precision', add: true, of: (r) => r.costUsd },
];

const THREADS: Array<Col<ThreadRollup>> = [
  { name: 'minute', type: 'integer', key: true, of: (r) => r.minute },
  { name: 'thread_id', type: 'text', key: true, of: (r) => r.threadId },
  { name: 'agent_id', type: 'text', key: true, of: (r) => r.agentId },
  { name: 'type', type: 'text', key: true, of: (r) => r.type },
  { name: 'project', type: 'text', of: (r) => r.project },
  { name: 'sent', type: 'bigint', add: true, of: (r) => r.sent },
  { name: 'received', type: 'bigint', add: true, of: (r) => r.received },
];

const CALLS: Array<Col<CallRollup>> = [
  { name: 'minute', type: 'integer', key: true, of: (r) => r.minute },
  { name: 'kind', type: 'text', key: true, of: (r) => r.kind },
  { name: 'name', type: 'text', key: true, of: (r) => r.name },
  { name: 'project', type: 'text', key: true, of: (r) => r.project },
  { name: 'bin', type: 'integer', key: true, of: (r) => r.bin },
  { name: 'calls', type: 'bigint', add: true, of: (r) => r.calls },
  { name: 'errors', type: 'bigint', add: true, of: (r) => r.errors },
  { name: 'latency_ms_sum', type: 'double precision', add: true, of: (r) => r.latencyMsSum },
];

type Usage = RollupDelta['instanceUsage'][number];
/** Usage as last counted: replaced, not added (it is a level, not an increment). */
const USAGE: Array<Col<Usage>> = [
  { name: 'instance_id', type: 'text', key: true, of: (r) => r.instanceId },
  { name: 'tokens', type: 'bigint', set: true, of: (r) => r.tokens },
  { name: 'cost_usd', type: 'double precision', set: true, of: (r) => r.costUsd },
];

const LATENCY: Array<Col<LatencyRollup>> = [
  { name: 'project', type: 'text', key: true, of: (r) => r.project },
  { name: 'minute', type: 'integer', key: true, of: (r) => r.minute },
  { name: 'metric', type: 'text', key: true, of: (r) => r.metric },
  { name: 'agent_id', type: 'text', key: true, of: (r) => r.agentId },
  { name: 'bin', type: 'integer', key: true, of: (r) => r.bin },
  { name: 'count', type: 'bigint', add: true, of: (r) => r.count },
  { name: 'sum_ms', type: 'double precision', add: true, of: (r) => r.sumMs },
];

const REPLIES: Array<Col<ReplyRollup>> = [
  { name: 'project', type: 'text', key: true, of: (r) => r.project },
  { name: 'minute', type: 'integer', key: true, of: (r) => r.minute },
  { name: 'from_agent', type: 'text', key: true, of: (r) => r.from },
  { name: 'to_agent', type: 'text', key: true, of: (r) => r.to },
  { name: 'requests', type: 'bigint', add: true, of: (r) => r.requests },
  { name: 'answered', type: 'bigint', add: true, of: (r) => r.answered },
  { name: 'ack_required', type: 'bigint', add: true, of: (r) => r.ackRequired },
  { name: 'acked', type: 'bigint', add: true, of: (r) => r.acked },
];

type Start = PerfDelta['threadStarts'][number];
const THREAD_STARTS: Array<Col<Start>> = [
  { name: 'thread_id', type: 'text', key: true, of: (r) => r.threadId },
  { name: 'starter', type: 'text', of: (r) => r.starter },
  { name: 'started_ms', type: 'bigint', of: (r) => r.startedMs },
];

const answerKey = (a: { requestId: string; agentId: string }) => `${a.requestId}\u0000${a.agentId}`;

/** The first item of each key (a claim listed twice in one delta counts once). */
function firstOfEach<T>(items: readonly T[], key: (t: T) => string): Map<string, T> {
  const out = new Map<string, T>();
  for (const t of items) if (!out.has(key(t))) out.set(key(t), t);
  return out;
}

/** Rollups a rebuild restores from the log (all but calls, which the log does not hold). */
const REBUILT = [
  ...ROLLUPS.filter((t) => t !== 'analytics_calls').flatMap((t) => [t, `${t}_hours`, `${t}_days`]),
  'analytics_instance_usage',
  'analytics_thread_starts',
  'analytics_answered',
];

/** Adds rollup rows to their minute, hour and day tables (in that order, as every node does). */
async function addRollup<R extends { minute: number }>(
  c: Queryable,
  table: (typeof ROLLUPS)[number],
  cols: Array<Col<R>>,
  rows: readonly R[],
): Promise<void> {
  if (rows.length === 0) return;
  await upsertRows(c, table, cols, rows);
  for (const [suffix, span] of [
    ['_hours', 60],
    ['_days', 1440],
  ] as const)
    await upsertRows(
      c,
      `${table}${suffix}`,
      cols,
      rows.map((r) => ({ ...r, minute: Math.floor(r.minute / span) * span })),
    );
}

export class PgAnalyticsStore extends AnalyticsReads implements AnalyticsStore {
  constructor(db: PgDatabase) {
    super(db);
  }

  async apply(d: RollupDelta): Promise<void> {
    // Tables in a fixed order (and rows in key order): concurrent deltas lock rows in one order.
    await this.db.tx(async (c) => {
      await addRollup(c, 'analytics_pairs', PAIRS, d.pairs);
      await addRollup(c, 'analytics_agents', AGENTS, d.agents);
      await addRollup(c, 'analytics_threads', THREADS, d.threads);
      await addRollup(c, 'analytics_calls', CALLS, d.calls);
      await upsertRows(c, 'analytics_instance_usage', USAGE, d.instanceUsage);
    });
  }

  async clear(): Promise<void> {
    await this.db.tx(async (c) => {
      for (const t of REBUILT) await c.query(`DELETE FROM ${t}`);
    });
  }

  async instanceUsage(ids: string[]) {
    const rows = await this.db.query<{ instance_id: string; tokens: number; cost_usd: number }>(
      'SELECT instance_id, tokens, cost_usd FROM analytics_instance_usage WHERE instance_id = ANY($1::text[])',
      [ids],
    );
    return new Map(rows.map((r) => [r.instance_id, { tokens: r.tokens, costUsd: r.cost_usd }]));
  }

  /**
   * The scans of one rebuild read one snapshot (`PgDatabase.snapshot`, REPEATABLE READ). Sequence
   * numbers come from sequences, which are not commit-ordered: a message can take seq 7 and commit
   * after a page ending at seq 8 was read, and the next page ("after 8") would never return it.
   * Under one snapshot the log does not change between pages: a row committed before it is in the
   * pages, one committed after is in none (the live recorders count it), and none is half-read.
   */
  readLog<T>(fn: (log: LogScans) => Promise<T>): Promise<T> {
    return this.db.snapshot((c) => fn(new PgLogScans(c)));
  }

  scanMessages(afterSeq: number, limit: number): Promise<LogMessage[]> {
    return new PgLogScans(this.db.reader).scanMessages(afterSeq, limit);
  }

  scanAttempts(): Promise<LogAttempt[]> {
    return new PgLogScans(this.db.reader).scanAttempts();
  }

  scanInstances() {
    return new PgLogScans(this.db.reader).scanInstances();
  }

  // ---------------------------------------------------------------- performance and engagement

  async applyPerf(d: PerfDelta): Promise<void> {
    await this.db.tx(async (c) => {
      // The claims first, in this transaction, so what they decide commits with the samples. Two
      // nodes may fold a first response (or a first answer) from the same memory; the database lets
      // one of them have it. `DELETE … RETURNING` of a thread's start: the second deleter waits on
      // the row lock and, once the first commits, finds the row gone and deletes (returns) nothing.
      // `INSERT … ON CONFLICT DO NOTHING RETURNING` of an answer: the unique key lets one insert in
      // and returns nothing to the other. Keys in sorted order, so claimants lock rows in one order.
      const threads = [...new Set(d.threadsAnswered.map((t) => t.threadId))].sort();
      const won = new Set<string>();
      if (threads.length > 0)
        for (const r of (
          await c.query<{ thread_id: string }>(
            `DELETE FROM analytics_thread_starts WHERE thread_id = ANY($1::text[]) RETURNING thread_id`,
            [threads],
          )
        ).rows)
          won.add(r.thread_id);
      const answers = [...firstOfEach(d.answered, answerKey).values()];
      const answered = new Set<string>();
      if (answers.length > 0)
        for (const r of (
          await c.query<{ request_id: string; agent_id: string }>(
            `INSERT INTO analytics_answered AS t (request_id, agent_id)
           SELECT * FROM unnest($1::text[], $2::text[]) AS u(request_id, agent_id)
           ORDER BY request_id, agent_id
           ON CONFLICT (request_id, agent_id) DO NOTHING RETURNING request_id, agent_id`,
            [answers.map((a) => a.requestId), answers.map((a) => a.agentId)],
          )
        ).rows)
          answered.add(answerKey({ requestId: r.request_id, agentId: r.agent_id }));
      const wonThreads = [...firstOfEach(d.threadsAnswered, (t) => t.threadId).values()].filter((t) =>
        won.has(t.threadId),
      );
      const wonAnswers = answers.filter((a) => answered.has(answerKey(a)));
      await addRollup(c, 'analytics_latency', LATENCY, [
        ...d.latency,
        ...wonThreads.map((t) => t.latency),
        ...wonAnswers.map((a) => a.latency),
      ]);
      await addRollup(c, 'analytics_replies', REPLIES, [...d.replies, ...wonAnswers.map((a) => a.reply)]);
      // The fold's memory: a thread start is kept if one is stored already (the first starter stays).
      await upsertRows(c, 'analytics_thread_starts', THREAD_STARTS, d.threadStarts, true);
    });
  }

  async perfMemory(threadIds: string[], answered: Array<{ requestId: string; agentId: string }>) {
    const memory: PerfMemory = { threads: new Map(), answered: new Set() };
    if (threadIds.length > 0) {
      const rows = await this.db.query<{ thread_id: string; starter: string; started_ms: number }>(
        `SELECT thread_id, starter, started_ms FROM analytics_thread_starts WHERE thread_id = ANY($1::text[])`,
        [threadIds],
      );
      for (const r of rows)
        memory.threads.set(r.thread_id, {
          threadId: r.thread_id,
          starter: r.starter,
          startedMs: r.started_ms,
        });
    }
    if (answered.length > 0) {
      const rows = await this.db.query<{ request_id: string; agent_id: string }>(
        `SELECT a.request_id, a.agent_id FROM unnest($1::text[], $2::text[]) AS j(request_id, agent_id)
         JOIN analytics_answered a ON a.request_id = j.request_id AND a.agent_id = j.agent_id`,
        [answered.map((a) => a.requestId), answered.map((a) => a.agentId)],
      );
      for (const r of rows) memory.answered.add(`${r.request_id}\u0000${r.agent_id}`);
    }
    return memory;
  }

  async deliveryReads(
    cursors: Array<{ agentId: string; cursor: number }>,
    byMessage: Array<{ messageId: string; agentId: string }>,
  ) {
    const out: DeliveryRead[] = [];
    const cols = `d.cursor, m.id AS "messageId", d.agent_id AS "agentId", d.read_at AS "readAt",
      m.created_at AS "createdAt", m.from_agent AS "from"`;
    if (cursors.length > 0)
      out.push(
        ...(await this.db.query<DeliveryRead>(
          `SELECT ${cols} FROM unnest($1::text[], $2::bigint[]) AS j(agent_id, cursor)
           JOIN deliveries d ON d.agent_id = j.agent_id AND d.cursor = j.cursor
           JOIN messages m ON m.seq = d.message_seq`,
          [cursors.map((c) => c.agentId), cursors.map((c) => c.cursor)],
        )),
      );
    if (byMessage.length > 0)
      out.push(
        ...(await this.db.query<DeliveryRead>(
          `SELECT ${cols} FROM unnest($1::text[], $2::text[]) AS j(message_id, agent_id)
           JOIN messages m ON m.id = j.message_id
           JOIN deliveries d ON d.message_seq = m.seq AND d.agent_id = j.agent_id`,
          [byMessage.map((b) => b.messageId), byMessage.map((b) => b.agentId)],
        )),
      );
    return out;
  }

  scanTurnEvents(afterSeq: number, limit: number, kinds: readonly string[]) {
    return new PgLogScans(this.db.reader).scanTurnEvents(afterSeq, limit, kinds);
  }
}
