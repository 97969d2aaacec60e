/** SQLite implementation of AnalyticsStore. Reads run at once; rollup writes go through the group-commit batcher. */
import type { Database, Statement } from 'better-sqlite3';
import type {
  AgentRollup,
  AnalyticsStore,
  CallRollup,
  LogAttempt,
  LogMessage,
  PairRollup,
  RollupDelta,
  RollupQuery,
} from '../analytics.js';
import { HistoryRollups } from './analytics-history.js';
import type { WriteBatcher } from './batcher.js';

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
    this.upsertThread = db.prepare(`
      INSERT INTO analytics_threads (minute, thread_id, agent_id, type, project, sent, received)
      VALUES (@minute, @threadId, @agentId, @type, @project, @sent, @received)
      ON CONFLICT (minute, thread_id, agent_id, type) DO UPDATE SET
        sent = sent + excluded.sent, received = received + excluded.received`);
    this.upsertCall = db.prepare(`
      INSERT INTO analytics_calls (minute, kind, name, project, bin, calls, errors, latency_ms_sum)
      VALUES (@minute, @kind, @name, @project, @bin, @calls, @errors, @latencyMsSum)
      ON CONFLICT (minute, kind, name, project, bin) DO UPDATE SET
        calls = calls + excluded.calls, errors = errors + excluded.errors, latency_ms_sum = latency_ms_sum + excluded.latency_ms_sum`);
    this.history = new HistoryRollups(db);
    this.putUsage = db.prepare(`
      INSERT INTO analytics_instance_usage (instance_id, tokens, cost_usd) VALUES (?, ?, ?)
      ON CONFLICT (instance_id) DO UPDATE SET tokens = excluded.tokens, cost_usd = excluded.cost_usd`);
  }

  apply(d: RollupDelta): Promise<void> {
    let stored = { generation: -1, keys: [] as string[] };
    const write = this.batcher.run(() => {
      for (const r of d.pairs) this.upsertPair.run(r);
      for (const r of d.agents) this.upsertAgent.run(r);
      for (const r of d.threads) this.upsertThread.run(r);
      stored = this.history.record(d.threads);
      for (const r of d.calls) this.upsertCall.run(r);
      for (const u of d.instanceUsage) this.putUsage.run(u.instanceId, u.tokens, u.costUsd);
    });
    return write.then(() => this.history.remember(stored));
  }

  clear(): Promise<void> {
    return this.batcher.run(() => {
      for (const t of ['pairs', 'agents', 'threads', 'instance_usage'])
        this.db.exec(`DELETE FROM analytics_${t}`);
      this.history.clear();
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

  async scanMessages(afterSeq: number, limit: number): Promise<LogMessage[]> {
    const rows = this.db
      .prepare(
        `SELECT m.seq, m.id, m.from_agent, m.type, m.thread_id, m.reply_to, m.project, m.created_at,
           (SELECT json_group_array(json_array(d.agent_id, d.acked_at)) FROM deliveries d WHERE d.message_seq = m.seq) AS deliveries
         FROM messages m WHERE m.seq > ? ORDER BY m.seq LIMIT ?`,
      )
      .all(afterSeq, limit) as Array<{
      seq: number;
      id: string;
      from_agent: string;
      type: string;
      thread_id: string;
      reply_to: string | null;
      project: string;
      created_at: string;
      deliveries: string;
    }>;
    return rows.map((r) => ({
      seq: r.seq,
      id: r.id,
      from: r.from_agent,
      type: r.type,
      threadId: r.thread_id,
      replyTo: r.reply_to,
      project: r.project,
      createdAt: r.created_at,
      deliveries: (JSON.parse(r.deliveries) as Array<[string, string | null]>).map(([agentId, ackedAt]) => ({
        agentId,
        ackedAt,
      })),
    }));
  }

  async scanAttempts(): Promise<LogAttempt[]> {
    const rows = this.db
      .prepare(
        `SELECT a.agent_id, t.project, a.claimed_at, a.ended_at, a.outcome
         FROM task_attempts a JOIN tasks t ON t.id = a.task_id`,
      )
      .all() as Array<{
      agent_id: string;
      project: string;
      claimed_at: string;
      ended_at: string | null;
      outcome: string | null;
    }>;
    return rows.map((r) => ({
      agentId: r.agent_id,
      project: r.project,
      claimedAt: r.claimed_at,
      endedAt: r.ended_at,
      outcome: r.outcome,
    }));
  }

  async scanInstances() {
    const rows = this.db
      .prepare('SELECT id, agent_id, COALESCE(ended_at, created_at) AS at, tokens, cost_usd FROM instances')
      .all() as Array<{ id: string; agent_id: string; at: string; tokens: number; cost_usd: number }>;
    return rows.map((r) => ({
      id: r.id,
      agentId: r.agent_id,
      at: r.at,
      tokens: r.tokens,
      costUsd: r.cost_usd,
    }));
  }

  async agentTotals(q: RollupQuery): Promise<Array<Omit<AgentRollup, 'minute'>>> {
    const w = where(q, ['agent_id']);
    return this.db
      .prepare(
        `SELECT agent_id AS agentId, MAX(project) AS project, SUM(sent) AS sent, SUM(received) AS received,
           SUM(tasks_claimed) AS tasksClaimed, SUM(tasks_completed) AS tasksCompleted, SUM(tasks_failed) AS tasksFailed,
           SUM(tokens) AS tokens, SUM(cost_usd) AS costUsd
         FROM analytics_agents ${w.sql} GROUP BY agent_id ORDER BY agent_id`,
      )
      .all(...w.params) as Array<Omit<AgentRollup, 'minute'>>;
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
    const w = where(q, ['from_agent', 'to_agent']);
    return this.db
      .prepare(
        `SELECT MAX(project) AS project, from_agent AS "from", to_agent AS "to", SUM(messages) AS messages,
           SUM(requests) AS requests, SUM(responses) AS responses, SUM(acks) AS acks,
           SUM(latency_ms_sum) AS latencyMsSum, SUM(latency_count) AS latencyCount
         FROM analytics_pairs ${w.sql} GROUP BY from_agent, to_agent ORDER BY from_agent, to_agent`,
      )
      .all(...w.params) as Array<Omit<PairRollup, 'minute'>>;
  }
}
