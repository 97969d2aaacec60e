/**
 * The analytics figures read back from PostgreSQL: every one is a GROUP BY over the per-minute
 * rollups of a query's range (project, agents, [since, until)), so it is exact for any range by
 * construction. The records, their order and their fields are those the SQLite store returns (which
 * reads the same sums from hour, day and all-time summaries where it can).
 */
import type { AgentRollup, CallRollup, PairRollup, RollupQuery } from '../analytics.js';
import type { PgDatabase } from './database.js';

/** Numbered parameters of one statement. */
class Params {
  readonly values: unknown[] = [];
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

/**
 * WHERE clause for a rollup query; `agentColumns`: the columns an agent filter matches (any of them);
 * `extra`: more conditions.
 */
function where(p: Params, q: RollupQuery, agentColumns: string[], extra: string[] = []): string {
  const parts: string[] = [];
  if (q.project !== undefined) parts.push(`project = ${p.add(q.project)}`);
  if (q.sinceMinute !== undefined) parts.push(`minute >= ${p.add(minuteBound(q.sinceMinute))}`);
  if (q.untilMinute !== undefined) parts.push(`minute < ${p.add(minuteBound(q.untilMinute))}`);
  if (q.agentIds !== undefined && agentColumns.length > 0) {
    const list = p.add(q.agentIds);
    parts.push(`(${agentColumns.map((c) => `${c} = ANY(${list}::text[])`).join(' OR ')})`);
  }
  parts.push(...extra);
  return parts.length ? `WHERE ${parts.join(' AND ')}` : '';
}

/**
 * A range bound as an `integer` parameter (the column's type, so its index serves the range):
 * `minute >= x` and `minute < x` hold for the same whole minutes as for ⌈x⌉, and minutes beyond
 * the integer range are bounds no stored minute reaches.
 */
function minuteBound(x: number): number {
  return Math.min(Math.max(Math.ceil(x), -0x80000000), 0x7fffffff);
}

/** `(minute / n) * n`: the first minute of a bucket of `bucketMinutes` (whole minutes). */
function bucketOf(p: Params, bucketMinutes: number): string {
  const n = p.add(Math.floor(bucketMinutes));
  return `(minute / ${n}::integer) * ${n}::integer`;
}

type Histogram = { count: number; sumMs: number; bins: Map<number, number> };

/** Per-bin rows grouped by `keyOf` (rows come ordered by key, then bin): count, sum and bin → count. */
function histograms<R extends { bin: number; count: number; sumMs: number }, K extends object>(
  rows: R[],
  keyOf: (r: R) => K,
): Array<K & Histogram> {
  const out = new Map<string, K & Histogram>();
  for (const r of rows) {
    const key = keyOf(r);
    const k = JSON.stringify(Object.values(key));
    let o = out.get(k);
    if (!o) out.set(k, (o = { ...key, count: 0, sumMs: 0, bins: new Map() }));
    o.count += r.count;
    o.sumMs += r.sumMs;
    o.bins.set(r.bin, r.count);
  }
  return [...out.values()];
}

export class AnalyticsReads {
  constructor(readonly db: PgDatabase) {}

  async agentTotals(q: RollupQuery): Promise<Array<Omit<AgentRollup, 'minute'>>> {
    const p = new Params();
    return this.db.query(
      `SELECT agent_id AS "agentId", MAX(project) AS project, SUM(sent) AS sent, SUM(received) AS received,
         SUM(tasks_claimed) AS "tasksClaimed", SUM(tasks_completed) AS "tasksCompleted",
         SUM(tasks_failed) AS "tasksFailed", SUM(tokens) AS tokens, SUM(cost_usd) AS "costUsd"
       FROM analytics_agents ${where(p, q, ['agent_id'])} GROUP BY agent_id ORDER BY agent_id`,
      p.values,
    );
  }

  async pairTotals(q: RollupQuery): Promise<Array<Omit<PairRollup, 'minute'>>> {
    const p = new Params();
    return this.db.query(
      `SELECT MAX(project) AS project, from_agent AS "from", to_agent AS "to", SUM(messages) AS messages,
         SUM(requests) AS requests, SUM(responses) AS responses, SUM(acks) AS acks,
         SUM(latency_ms_sum) AS "latencyMsSum", SUM(latency_count) AS "latencyCount"
       FROM analytics_pairs ${where(p, q, ['from_agent', 'to_agent'])}
       GROUP BY from_agent, to_agent ORDER BY from_agent, to_agent`,
      p.values,
    );
  }

  async callTotals(q: RollupQuery): Promise<Array<Omit<CallRollup, 'minute' | 'project'>>> {
    const p = new Params();
    return this.db.query(
      `SELECT kind, name, bin, SUM(calls) AS calls, SUM(errors) AS errors, SUM(latency_ms_sum) AS "latencyMsSum"
       FROM analytics_calls ${where(p, { ...q, agentIds: undefined }, [])}
       GROUP BY kind, name, bin ORDER BY kind, name, bin`,
      p.values,
    );
  }

  async historySeries(q: RollupQuery, bucketMinutes: number) {
    const a = new Params();
    const byType = await this.db.query<{ bucket: number; type: string; messages: number }>(
      `SELECT ${bucketOf(a, bucketMinutes)} AS bucket, type, SUM(sent) AS messages
       FROM analytics_threads ${where(a, q, ['agent_id'])}
       GROUP BY 1, 2 HAVING SUM(sent) > 0 ORDER BY 1, 2`,
      a.values,
    );
    const b = new Params();
    const buckets = await this.db.query<{ bucket: number; threads: number; participants: number }>(
      `SELECT ${bucketOf(b, bucketMinutes)} AS bucket, COUNT(DISTINCT thread_id) AS threads,
         COUNT(DISTINCT agent_id) AS participants
       FROM analytics_threads ${where(b, q, ['agent_id'])} GROUP BY 1 ORDER BY 1`,
      b.values,
    );
    const c = new Params();
    const [totals] = await this.db.query<{ threads: number; participants: number }>(
      `SELECT COUNT(DISTINCT thread_id) AS threads, COUNT(DISTINCT agent_id) AS participants
       FROM analytics_threads ${where(c, q, ['agent_id'])}`,
      c.values,
    );
    return { byType, buckets, totals: totals! };
  }

  async topThreads(q: RollupQuery, limit: number) {
    const p = new Params();
    const w = where(p, q, ['agent_id']);
    return this.db.query<{
      threadId: string;
      messages: number;
      participants: number;
      firstMinute: number;
      lastMinute: number;
    }>(
      `SELECT thread_id AS "threadId", SUM(sent) AS messages, COUNT(DISTINCT agent_id) AS participants,
         MIN(minute) AS "firstMinute", MAX(minute) AS "lastMinute"
       FROM analytics_threads ${w} GROUP BY thread_id ORDER BY messages DESC, thread_id LIMIT ${p.add(Math.max(0, Math.floor(limit)))}`,
      p.values,
    );
  }

  // ---------------------------------------------------------------- performance and engagement

  async latencyTotals(q: RollupQuery) {
    const p = new Params();
    return this.db.query<{ metric: string; bin: number; count: number; sumMs: number }>(
      `SELECT metric, bin, SUM(count) AS count, SUM(sum_ms) AS "sumMs"
       FROM analytics_latency ${where(p, q, ['agent_id'])} GROUP BY metric, bin ORDER BY metric, bin`,
      p.values,
    );
  }

  async latencySeries(q: RollupQuery, bucketMinutes: number) {
    const p = new Params();
    return this.db.query<{ bucket: number; metric: string; bin: number; count: number; sumMs: number }>(
      `SELECT ${bucketOf(p, bucketMinutes)} AS bucket, metric, bin, SUM(count) AS count, SUM(sum_ms) AS "sumMs"
       FROM analytics_latency ${where(p, q, ['agent_id'])} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      p.values,
    );
  }

  async latencySeriesHistograms(q: RollupQuery, bucketMinutes: number) {
    return histograms(await this.latencySeries(q, bucketMinutes), (r) => ({
      bucket: r.bucket,
      metric: r.metric,
    }));
  }

  async latencyByAgent(q: RollupQuery) {
    const p = new Params();
    return this.db.query<{ agentId: string; metric: string; bin: number; count: number; sumMs: number }>(
      `SELECT agent_id AS "agentId", metric, bin, SUM(count) AS count, SUM(sum_ms) AS "sumMs"
       FROM analytics_latency ${where(p, q, ['agent_id'])}
       GROUP BY agent_id, metric, bin ORDER BY agent_id, metric, bin`,
      p.values,
    );
  }

  async latencyByAgentHistograms(q: RollupQuery) {
    return histograms(await this.latencyByAgent(q), (r) => ({ agentId: r.agentId, metric: r.metric }));
  }

  async latencyCounts(q: RollupQuery) {
    const p = new Params();
    return this.db.query<{ agentId: string; metric: string; count: number }>(
      `SELECT agent_id AS "agentId", metric, SUM(count) AS count
       FROM analytics_latency ${where(p, q, ['agent_id'])} GROUP BY agent_id, metric ORDER BY agent_id, metric`,
      p.values,
    );
  }

  async replyTotals(q: RollupQuery) {
    const p = new Params();
    return this.db.query<{
      agentId: string;
      requests: number;
      answered: number;
      ackRequired: number;
      acked: number;
    }>(
      `SELECT to_agent AS "agentId", SUM(requests) AS requests, SUM(answered) AS answered,
         SUM(ack_required) AS "ackRequired", SUM(acked) AS acked
       FROM analytics_replies ${where(p, q, ['to_agent'])} GROUP BY to_agent ORDER BY to_agent`,
      p.values,
    );
  }

  async activeSenders(q: RollupQuery, bucketMinutes: number) {
    const a = new Params();
    const buckets = await this.db.query<{ bucket: number; agents: number }>(
      `SELECT ${bucketOf(a, bucketMinutes)} AS bucket, COUNT(DISTINCT agent_id) AS agents
       FROM analytics_agents ${where(a, q, ['agent_id'], ['sent > 0'])} GROUP BY 1 ORDER BY 1`,
      a.values,
    );
    const b = new Params();
    const [total] = await this.db.query<{ n: number }>(
      `SELECT COUNT(DISTINCT agent_id) AS n FROM analytics_agents ${where(b, q, ['agent_id'], ['sent > 0'])}`,
      b.values,
    );
    return { buckets, total: total!.n };
  }
}
