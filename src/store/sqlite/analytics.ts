/**
 * SQLite implementation of AnalyticsStore. Reads run at once; rollup writes go through the group-commit
 * batcher apart (`runApart`): each in a transaction of its own, in order, never in a message's commit.
 */
import type { Database, Statement } from 'better-sqlite3';
import type {
  AgentRollup,
  AnalyticsStore,
  CallRollup,
  DeliveryRead,
  LogAttempt,
  LogMessage,
  LogScans,
  PairRollup,
  PerfDelta,
  PerfMemory,
  RollupDelta,
  RollupQuery,
} from '../analytics.js';
import { ActiveSenders } from './analytics-active.js';
import { HistoryRollups } from './analytics-history.js';
import { TotalRollups } from './analytics-totals.js';
import { PerfSpans } from './analytics-perf-spans.js';
import type { WriteBatcher } from './batcher.js';
import {
  type LogAttemptRow,
  type LogInstanceRow,
  type LogMessageRow,
  toLogAttempt,
  toLogInstance,
  toLogMessage,
} from '../rows/analytics.js';

/** WHERE clause for a rollup query; `agentColumns`: the columns an agent filter matches (any of them). */
function where(q: RollupQuery, agentColumns: string[]): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (q.project !== undefined) {
    parts.push('project = ?');
    params.push(q.project);
  }
  if (q.sinceMinute !== undefined) {
    parts.push('minute >= ?');
    params.push(q.sinceMinute);
  }
  if (q.untilMinute !== undefined) {
    parts.push('minute < ?');
    params.push(q.untilMinute);
  }
  if (q.agentIds !== undefined && agentColumns.length > 0) {
    // json_each keeps one statement shape whatever the number of agents.
    const list = JSON.stringify(q.agentIds);
    parts.push(`(${agentColumns.map((c) => `${c} IN (SELECT value FROM json_each(?))`).join(' OR ')})`);
    for (let i = 0; i < agentColumns.length; i++) params.push(list);
  }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

export class SqliteAnalyticsStore implements AnalyticsStore {
  private readonly upsertPair: Statement;
  private readonly upsertAgent: Statement;
  private readonly upsertThread: Statement;
  private readonly upsertCall: Statement;
  private readonly putUsage: Statement;
  private readonly history: HistoryRollups;
  private readonly totals: TotalRollups;
  private readonly perfSpans: PerfSpans;
  private readonly active: ActiveSenders;

  constructor(
    readonly db: Database,
    readonly batcher: WriteBatcher,
  ) {
    this.upsertPair = db.prepare(`
      INSERT INTO analytics_pairs (minute, project, from_agent, to_agent, messages, requests, responses, acks, latency_ms_sum, latency_count)
      VALUES (@minute, @project, @from, @to, @messages, @requests, @responses, @acks, @latencyMsSum, @latencyCount)
      ON CONFLICT (minute, from_agent, to_agent) DO UPDATE SET
        messages = messages + excluded.messages, requests = requests + excluded.requests,
        responses = responses + excluded.responses, acks = acks + excluded.acks,
        latency_ms_sum = latency_ms_sum + excluded.latency_ms_sum, latency_count = latency_count + excluded.latency_count`);
    this.upsertAgent = db.prepare(`
      INSERT INTO analytics_agents (minute, agent_id, project, sent, received, tasks_claimed, tasks_completed, tasks_failed, tokens, cost_usd)
      VALUES (@minute, @agentId, @project, @sent, @received, @tasksClaimed, @tasksCompleted, @tasksFailed, @tokens, @costUsd)
      ON CONFLICT (minute, agent_id) DO UPDATE SET
        sent = sent + excluded.sent, received = received + excluded.received,
        tasks_claimed = tasks_claimed + excluded.tasks_claimed, tasks_completed = tasks_completed + excluded.tasks_completed,
        tasks_failed = tasks_failed + excluded.tasks_failed, tokens = tokens + excluded.tokens, cost_usd = cost_usd + excluded.cost_usd`);
    // Positional: a delta has a thread row or two per message, and named binding costs more.
    this.upsertThread = db.prepare(`
      INSERT INTO analytics_threads (minute, thread_id, agent_id, type, project, sent, received)
      VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (minute, thread_id, agent_id, type) DO UPDATE SET
        sent = sent + excluded.sent, received = received + excluded.received`);
    this.upsertCall = db.prepare(`
      INSERT INTO analytics_calls (minute, kind, name, project, bin, calls, errors, latency_ms_sum)
      VALUES (@minute, @kind, @name, @project, @bin, @calls, @errors, @latencyMsSum)
      ON CONFLICT (minute, kind, name, project, bin) DO UPDATE SET
        calls = calls + excluded.calls, errors = errors + excluded.errors, latency_ms_sum = latency_ms_sum + excluded.latency_ms_sum`);
    this.history = new HistoryRollups(db);
    this.totals = new TotalRollups(db);
    this.perfSpans = new PerfSpans(db);
    this.active = new ActiveSenders(db);
    this.putUsage = db.prepare(`
      INSERT INTO analytics_instance_usage (instance_id, tokens, cost_usd) VALUES (?, ?, ?)
      ON CONFLICT (instance_id) DO UPDATE SET tokens = excluded.tokens, cost_usd = excluded.cost_usd`);
  }

  apply(d: RollupDelta): Promise<void> {
    let stored = { generation: -1, keys: [] as string[] };
    const write = this.batcher.runApart(() => {
      for (const r of d.pairs) this.upsertPair.run(r);
      for (const r of d.agents) this.upsertAgent.run(r);
      this.totals.record(d.agents, d.pairs);
      this.active.record(d.agents);
      // History first: it counts a day's new threads by the thread rows stored before these.
      stored = this.history.record(d.threads, d.threadsStarted);
      for (const r of d.threads)
        this.upsertThread.run(r.minute, r.threadId, r.agentId, r.type, r.project, r.sent, r.received);
      for (const r of d.calls) this.upsertCall.run(r);
      for (const u of d.instanceUsage) this.putUsage.run(u.instanceId, u.tokens, u.costUsd);
    });
    return write.then(() => this.history.remember(stored));
  }

  clear(): Promise<void> {
    return this.batcher.runApart(() => {
      for (const t of ['pairs', 'agents', 'threads', 'instance_usage', ...PERF_TABLES])
        this.db.exec(`DELETE FROM analytics_${t}`);
      this.history.clear();
      this.totals.clear();
      this.perfSpans.clear();
      this.active.clear();
    });
  }

  async instanceUsage(ids: string[]) {
    const rows = this.db
      .prepare(
        'SELECT instance_id, tokens, cost_usd FROM analytics_instance_usage WHERE instance_id IN (SELECT value FROM json_each(?))',
      )
      .all(JSON.stringify(ids)) as Array<{ instance_id: string; tokens: number; cost_usd: number }>;
    return new Map(rows.map((r) => [r.instance_id, { tokens: r.tokens, costUsd: r.cost_usd }]));
  }

  /**
   * SQLite needs no snapshot for this: its one writer gives each message its seq (rowid) inside the
   * write transaction, so seqs are in commit order and a row committed after a page was read has a
   * higher seq than any row of that page; paging by seq skips nothing. (Rows committed while a
   * rebuild runs may be in its pages and counted by the live recorder too: a rebuild is for a quiet hub.)
   */
  readLog<T>(fn: (log: LogScans) => Promise<T>): Promise<T> {
    return fn(this);
  }

  async scanMessages(afterSeq: number, limit: number): Promise<LogMessage[]> {
    const rows = this.db
      .prepare(
        `SELECT m.seq, m.id, m.from_agent, m.type, m.thread_id, m.reply_to, m.project, m.created_at, m.ack_required,
           (SELECT json_group_array(json_array(d.agent_id, d.acked_at, d.read_at)) FROM deliveries d WHERE d.message_seq = m.seq) AS deliveries
         FROM messages m WHERE m.seq > ? ORDER BY m.seq LIMIT ?`,
      )
      .all(afterSeq, limit) as Array<LogMessageRow & { deliveries: string }>;
    return rows.map((r) =>
      toLogMessage(
        r,
        (JSON.parse(r.deliveries) as Array<[string, string | null, string | null]>).map(
          ([agentId, ackedAt, readAt]) => ({ agentId, ackedAt, readAt }),
        ),
      ),
    );
  }

  async scanAttempts(): Promise<LogAttempt[]> {
    const rows = this.db
      .prepare(
        `SELECT a.attempt, t.created_at, a.agent_id, t.project, a.claimed_at, a.ended_at, a.outcome
         FROM task_attempts a JOIN tasks t ON t.id = a.task_id`,
      )
      .all() as LogAttemptRow[];
    return rows.map(toLogAttempt);
  }

  async scanInstances() {
    const rows = this.db
      .prepare('SELECT id, agent_id, COALESCE(ended_at, created_at) AS at, tokens, cost_usd FROM instances')
      .all() as LogInstanceRow[];
    return rows.map(toLogInstance);
  }

  async agentTotals(q: RollupQuery): Promise<Array<Omit<AgentRollup, 'minute'>>> {
    return this.totals.agentTotals(q);
  }

  async historySeries(q: RollupQuery, bucketMinutes: number) {
    if (this.history.serves(q, bucketMinutes)) return this.history.series(q, bucketMinutes);
    const w = where(q, ['agent_id']);
    const b = `(minute / ${Math.floor(bucketMinutes)}) * ${Math.floor(bucketMinutes)}`;
    const byType = this.db
      .prepare(
        `SELECT ${b} AS bucket, type, SUM(sent) AS messages FROM analytics_threads ${w.sql}
         GROUP BY bucket, type HAVING messages > 0 ORDER BY bucket, type`,
      )
      .all(...w.params) as Array<{ bucket: number; type: string; messages: number }>;
    const buckets = this.db
      .prepare(
        `SELECT ${b} AS bucket, COUNT(DISTINCT thread_id) AS threads, COUNT(DISTINCT agent_id) AS participants
         FROM analytics_threads ${w.sql} GROUP BY bucket ORDER BY bucket`,
      )
      .all(...w.params) as Array<{ bucket: number; threads: number; participants: number }>;
    const totals = this.db
      .prepare(
        `SELECT COUNT(DISTINCT thread_id) AS threads, COUNT(DISTINCT agent_id) AS participants FROM analytics_threads ${w.sql}`,
      )
      .get(...w.params) as { threads: number; participants: number };
    return { byType, buckets, totals };
  }

  async topThreads(q: RollupQuery, limit: number) {
    if (this.history.serves(q)) return this.history.top(q, limit);
    const w = where(q, ['agent_id']);
    return this.db
      .prepare(
        `SELECT thread_id AS threadId, SUM(sent) AS messages, COUNT(DISTINCT agent_id) AS participants,
           MIN(minute) AS firstMinute, MAX(minute) AS lastMinute
         FROM analytics_threads ${w.sql} GROUP BY thread_id ORDER BY messages DESC, thread_id LIMIT ?`,
      )
      .all(...w.params, limit) as Array<{
      threadId: string;
      messages: number;
      participants: number;
      firstMinute: number;
      lastMinute: number;
    }>;
  }

  async callTotals(q: RollupQuery): Promise<Array<Omit<CallRollup, 'minute' | 'project'>>> {
    const w = where({ ...q, agentIds: undefined }, []);
    return this.db
      .prepare(
        `SELECT kind, name, bin, SUM(calls) AS calls, SUM(errors) AS errors, SUM(latency_ms_sum) AS latencyMsSum
         FROM analytics_calls ${w.sql} GROUP BY kind, name, bin ORDER BY kind, name, bin`,
      )
      .all(...w.params) as Array<Omit<CallRollup, 'minute' | 'project'>>;
  }

  async pairTotals(q: RollupQuery): Promise<Array<Omit<PairRollup, 'minute'>>> {
    return this.totals.pairTotals(q);
  }

  // ---------------------------------------------------------------- performance and engagement

  /** [minute table, hour table] for latency and replies. */
  private perfStatements?: {
    latency: Statement[];
    reply: Statement[];
    thread: Statement;
    threadDone: Statement;
    answered: Statement;
  };

  private get perf() {
    this.perfStatements ??= {
      latency: [TABLES.latency, TABLES.latencyHours].map((t) =>
        this.db.prepare(`
        INSERT INTO ${t} (minute, project, metric, agent_id, bin, count, sum_ms)
        VALUES (@minute, @project, @metric, @agentId, @bin, @count, @sumMs)
        ON CONFLICT (project, minute, metric, agent_id, bin) DO UPDATE SET
          count = count + excluded.count, sum_ms = sum_ms + excluded.sum_ms`),
      ),
      reply: [TABLES.replies, TABLES.repliesHours].map((t) =>
        this.db.prepare(`
        INSERT INTO ${t} (minute, project, from_agent, to_agent, requests, answered, ack_required, acked)
        VALUES (@minute, @project, @from, @to, @requests, @answered, @ackRequired, @acked)
        ON CONFLICT (project, minute, from_agent, to_agent) DO UPDATE SET
          requests = requests + excluded.requests, answered = answered + excluded.answered,
          ack_required = ack_required + excluded.ack_required, acked = acked + excluded.acked`),
      ),
      thread: this.db.prepare(`
        INSERT OR IGNORE INTO analytics_thread_starts (thread_id, starter, started_ms) VALUES (?, ?, ?)`),
      threadDone: this.db.prepare('DELETE FROM analytics_thread_starts WHERE thread_id = ?'),
      answered: this.db.prepare(
        'INSERT OR IGNORE INTO analytics_answered (request_id, agent_id) VALUES (?, ?)',
      ),
    };
    return this.perfStatements;
  }

  applyPerf(d: PerfDelta): Promise<void> {
    const st = this.perf;
    return this.batcher.runApart(() => {
      // Claims, in the write transaction: a first response counts only if this delta removes the
      // thread's stored start, an answer only if it stores the (request, recipient) pair. Another
      // process on the same file (or a fold from stale memory) finds them taken and counts nothing.
      const latency = [...d.latency];
      const replies = [...d.replies];
      for (const t of d.threadsAnswered)
        if (st.threadDone.run(t.threadId).changes > 0) latency.push(t.latency);
      for (const a of d.answered)
        if (st.answered.run(a.requestId, a.agentId).changes > 0) {
          latency.push(a.latency);
          replies.push(a.reply);
        }
      for (const r of latency) {
        st.latency[0]!.run(r);
        st.latency[1]!.run({ ...r, minute: hourOf(r.minute) });
      }
      for (const r of replies) {
        st.reply[0]!.run(r);
        st.reply[1]!.run({ ...r, minute: hourOf(r.minute) });
      }
      for (const t of d.threadStarts) st.thread.run(t.threadId, t.starter, t.startedMs);
      this.perfSpans.record(latency, replies);
    });
  }

  async perfMemory(threadIds: string[], answered: Array<{ requestId: string; agentId: string }>) {
    const memory: PerfMemory = { threads: new Map(), answered: new Set() };
    if (threadIds.length > 0) {
      const rows = this.db
        .prepare(
          `SELECT thread_id, starter, started_ms FROM analytics_thread_starts
           WHERE thread_id IN (SELECT value FROM json_each(?))`,
        )
        .all(JSON.stringify(threadIds)) as Array<{
        thread_id: string;
        starter: string;
        started_ms: number;
      }>;
      for (const r of rows)
        memory.threads.set(r.thread_id, {
          threadId: r.thread_id,
          starter: r.starter,
          startedMs: r.started_ms,
        });
    }
    if (answered.length > 0) {
      const rows = this.db
        .prepare(
          `SELECT a.request_id, a.agent_id FROM json_each(?) j
           JOIN analytics_answered a ON a.request_id = j.value ->> 0 AND a.agent_id = j.value ->> 1`,
        )
        .all(JSON.stringify(answered.map((a) => [a.requestId, a.agentId]))) as Array<{
        request_id: string;
        agent_id: string;
      }>;
      for (const r of rows) memory.answered.add(`${r.request_id}\u0000${r.agent_id}`);
    }
    return memory;
  }

  async deliveryReads(
    cursors: Array<{ agentId: string; cursor: number }>,
    byMessage: Array<{ messageId: string; agentId: string }>,
  ) {
    type Row = DeliveryRead;
    const out: Row[] = [];
    const cols = `d.cursor, m.id AS messageId, d.agent_id AS agentId, d.read_at AS readAt, m.created_at AS createdAt, m.from_agent AS "from"`;
    if (cursors.length > 0)
      out.push(
        ...(this.db
          .prepare(
            `SELECT ${cols} FROM json_each(?) j
             JOIN deliveries d ON d.cursor = j.value ->> 1 AND d.agent_id = j.value ->> 0
             JOIN messages m ON m.seq = d.message_seq`,
          )
          .all(JSON.stringify(cursors.map((c) => [c.agentId, c.cursor]))) as Row[]),
      );
    if (byMessage.length > 0)
      out.push(
        ...(this.db
          .prepare(
            `SELECT ${cols} FROM json_each(?) j
             JOIN messages m ON m.id = j.value ->> 0
             JOIN deliveries d ON d.message_seq = m.seq AND d.agent_id = j.value ->> 1`,
          )
          .all(JSON.stringify(byMessage.map((b) => [b.messageId, b.agentId]))) as Row[]),
      );
    return out;
  }

  async scanTurnEvents(afterSeq: number, limit: number, kinds: readonly string[]) {
    return this.db
      .prepare(
        `SELECT e.seq, e.instance_id AS instanceId, i.agent_id AS agentId, e.kind, e.at
         FROM instance_events e JOIN instances i ON i.id = e.instance_id
         WHERE e.seq > ? AND e.kind IN (SELECT value FROM json_each(?)) ORDER BY e.seq LIMIT ?`,
      )
      .all(afterSeq, JSON.stringify(kinds), limit) as Array<{
      seq: number;
      instanceId: string;
      agentId: string;
      kind: string;
      at: string;
    }>;
  }

  async latencyTotals(q: RollupQuery) {
    return this.perfSpans.latencyTotals(q);
  }

  async latencySeries(q: RollupQuery, bucketMinutes: number) {
    const spans = this.perfSpans.latencySeries(q, bucketMinutes);
    if (spans) return spans;
    const n = Math.floor(bucketMinutes);
    const w = ranged(q, 'latency', 'minute, metric, bin, count, sum_ms', ['agent_id'], n);
    return this.db
      .prepare(
        `SELECT (minute / ${n}) * ${n} AS bucket, metric, bin, SUM(count) AS count, SUM(sum_ms) AS sumMs
         FROM (${w.sql}) GROUP BY bucket, metric, bin ORDER BY bucket, metric, bin`,
      )
      .all(...w.params) as Array<{
      bucket: number;
      metric: string;
      bin: number;
      count: number;
      sumMs: number;
    }>;
  }

  async latencySeriesHistograms(q: RollupQuery, bucketMinutes: number) {
    const rolled = this.perfSpans.latencySeriesHistograms(q, bucketMinutes);
    if (rolled)
      return rolled.map((r) => ({
        ...r,
        bins: histogramOf(r.bins),
      }));
    // Minute buckets: per bin rows, grouped here.
    const out = new Map<
      string,
      { bucket: number; metric: string; count: number; sumMs: number; bins: Map<number, number> }
    >();
    for (const r of await this.latencySeries(q, bucketMinutes)) {
      const key = `${r.bucket}\u0000${r.metric}`;
      let o = out.get(key);
      if (!o) out.set(key, (o = { bucket: r.bucket, metric: r.metric, count: 0, sumMs: 0, bins: new Map() }));
      o.count += r.count;
      o.sumMs += r.sumMs;
      o.bins.set(r.bin, r.count);
    }
    return [...out.values()];
  }

  async latencyByAgentHistograms(q: RollupQuery) {
    return this.perfSpans.latencyByAgentHistograms(q).map((r) => ({ ...r, bins: histogramOf(r.bins) }));
  }

  async latencyByAgent(q: RollupQuery) {
    return this.perfSpans.latencyByAgent(q);
  }

  async latencyCounts(q: RollupQuery) {
    return this.perfSpans.latencyCounts(q);
  }

  async replyTotals(q: RollupQuery) {
    return this.perfSpans.replyTotals(q);
  }

  async activeSenders(q: RollupQuery, bucketMinutes: number) {
    const rolled = this.active.read(q, bucketMinutes);
    if (rolled) return rolled;
    const w = where(q, ['agent_id']);
    const n = Math.floor(bucketMinutes);
    const sent = w.sql ? `${w.sql} AND sent > 0` : 'WHERE sent > 0';
    const buckets = this.db
      .prepare(
        `SELECT (minute / ${n}) * ${n} AS bucket, COUNT(DISTINCT agent_id) AS agents FROM analytics_agents ${sent}
         GROUP BY bucket ORDER BY bucket`,
      )
      .all(...w.params) as Array<{ bucket: number; agents: number }>;
    const total = this.db
      .prepare(`SELECT COUNT(DISTINCT agent_id) AS n FROM analytics_agents ${sent}`)
      .get(...w.params) as { n: number };
    return { buckets, total: total.n };
  }
}

/** The rollups of migration 013, emptied by a rebuild like the others. */
const PERF_TABLES = ['latency', 'latency_hours', 'replies', 'replies_hours', 'thread_starts', 'answered'];

const TABLES = {
  latency: 'analytics_latency',
  latencyHours: 'analytics_latency_hours',
  replies: 'analytics_replies',
  repliesHours: 'analytics_replies_hours',
} as const;

/** A histogram given as `bin:count,...` (group_concat), as bin → count. */
const histogramOf = (bins: string) =>
  new Map(bins.split(',').map((x) => x.split(':').map(Number) as [number, number]));

/** The first minute of the hour a minute falls in. */
const hourOf = (minute: number) => Math.floor(minute / 60) * 60;

/**
 * Rows of a rollup kept per minute and per hour, for a query's range: whole hours from the hour
 * table, the partial hours at the range's edges from the minute table (a minute series reads minutes
 * only). One UNION ALL of `columns`, to be summed by the caller.
 */
function ranged(
  q: RollupQuery,
  rollup: 'latency' | 'replies',
  columns: string,
  agentColumns: string[],
  bucketMinutes = 60,
): { sql: string; params: unknown[] } {
  const minutes = TABLES[rollup];
  const hours = rollup === 'latency' ? TABLES.latencyHours : TABLES.repliesHours;
  const s = q.sinceMinute;
  const u = q.untilMinute;
  const hs = s === undefined ? undefined : Math.ceil(s / 60) * 60;
  const he = u === undefined ? undefined : hourOf(u);
  const parts: Array<{ table: string; q: RollupQuery }> = [];
  if (bucketMinutes % 60 !== 0 || (hs !== undefined && he !== undefined && hs >= he))
    parts.push({ table: minutes, q });
  else {
    parts.push({ table: hours, q: { ...q, sinceMinute: hs, untilMinute: he } });
    if (s !== undefined && s < hs!)
      parts.push({ table: minutes, q: { ...q, sinceMinute: s, untilMinute: hs } });
    if (u !== undefined && he! < u)
      parts.push({ table: minutes, q: { ...q, sinceMinute: he, untilMinute: u } });
  }
  const ws = parts.map((p) => ({ table: p.table, w: where(p.q, agentColumns) }));
  return {
    sql: ws.map(({ table, w }) => `SELECT ${columns} FROM ${table} ${w.sql}`).join(' UNION ALL '),
    params: ws.flatMap(({ w }) => w.params),
  };
}
