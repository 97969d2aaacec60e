/**
 * The analytics figures read back from PostgreSQL: every one is a GROUP BY over the rollup rows of a
 * query's range (project, agents, [since, until)): whole days from the `_days` tables, whole hours
 * from the `_hours` tables, the minutes at the range's edges from the minute tables (migration 4),
 * so a long range reads a few rows per day and stays exact for any since/until. The records, their
 * order and their fields are those the SQLite store returns.
 */
import type { AgentRollup, CallRollup, PairRollup, RollupQuery } from '../analytics.js';
import { HIGH, LOW, split } from '../minute-pieces.js';
import type { PgDatabase } from './database.js';
import type { ROLLUPS } from './migrations/004-analytics.js';

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

const SUFFIX: Record<number, string> = { 1440: '_days', 60: '_hours', 1: '' };

/** The largest buckets that fit a series of `bucketMinutes` buckets (or a total, when undefined). */
function spansFor(bucketMinutes?: number): number[] {
  const n = bucketMinutes === undefined ? 1440 : Math.floor(bucketMinutes);
  return n % 1440 === 0 ? [1440, 60, 1] : n % 60 === 0 ? [60, 1] : [1];
}

/**
 * `FROM` for a query's rows of `table`: one SELECT per piece of the range (days, hours, edge minutes)
 * with the query's filters, as a UNION ALL named `r`.
 */
function rowsOf(
  p: Params,
  table: (typeof ROLLUPS)[number],
  q: RollupQuery,
  agentColumns: string[],
  opts: { extra?: string[]; bucketMinutes?: number } = {},
): string {
  const pieces = split(q.sinceMinute, q.untilMinute, spansFor(opts.bucketMinutes));
  if (pieces.length === 0) return `(SELECT * FROM ${table} WHERE false) AS r`;
  const parts = pieces.map((piece) => {
    const range = {
      ...q,
      sinceMinute: piece.from <= LOW ? undefined : piece.from,
      untilMinute: piece.to >= HIGH ? undefined : piece.to,
    };
    return `SELECT * FROM ${table}${SUFFIX[piece.span]} ${where(p, range, agentColumns, opts.extra)}`;
  });
  return `(${parts.join(' UNION ALL ')}) AS r`;
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
       FROM ${rowsOf(p, 'analytics_agents', q, ['agent_id'])} GROUP BY agent_id ORDER BY agent_id`,
      p.values,
    );
  }

  async pairTotals(q: RollupQuery): Promise<Array<Omit<PairRollup, 'minute'>>> {
    const p = new Params();
    return this.db.query(
      `SELECT MAX(project) AS project, from_agent AS "from", to_agent AS "to", SUM(messages) AS messages,
         SUM(requests) AS requests, SUM(responses) AS responses, SUM(acks) AS acks,
         SUM(latency_ms_sum) AS "latencyMsSum", SUM(latency_count) AS "latencyCount"
       FROM ${rowsOf(p, 'analytics_pairs', q, ['from_agent', 'to_agent'])}
       GROUP BY from_agent, to_agent ORDER BY from_agent, to_agent`,
      p.values,
    );
  }

  async callTotals(q: RollupQuery): Promise<Array<Omit<CallRollup, 'minute' | 'project'>>> {
    const p = new Params();
    return this.db.query(
      `SELECT kind, name, bin, SUM(calls) AS calls, SUM(errors) AS errors, SUM(latency_ms_sum) AS "latencyMsSum"
       FROM ${rowsOf(p, 'analytics_calls', { ...q, agentIds: undefined }, [])}
       GROUP BY kind, name, bin ORDER BY kind, name, bin`,
      p.values,
    );
  }

  async historySeries(q: RollupQuery, bucketMinutes: number) {
    const a = new Params();
    const byType = await this.db.query<{ bucket: number; type: string; messages: number }>(
      `SELECT ${bucketOf(a, bucketMinutes)} AS bucket, type, SUM(sent) AS messages
       FROM ${rowsOf(a, 'analytics_threads', q, ['agent_id'], { bucketMinutes })}
       GROUP BY 1, 2 HAVING SUM(sent) > 0 ORDER BY 1, 2`,
      a.values,
    );
    const b = new Params();
    const buckets = await this.db.query<{ bucket: number; threads: number; participants: number }>(
      `SELECT ${bucketOf(b, bucketMinutes)} AS bucket, COUNT(DISTINCT thread_id) AS threads,
         COUNT(DISTINCT agent_id) AS participants
       FROM ${rowsOf(b, 'analytics_threads', q, ['agent_id'], { bucketMinutes })} GROUP BY 1 ORDER BY 1`,
      b.values,
    );
    const c = new Params();
    const [totals] = await this.db.query<{ threads: number; participants: number }>(
      `SELECT COUNT(DISTINCT thread_id) AS threads, COUNT(DISTINCT agent_id) AS participants
       FROM ${rowsOf(c, 'analytics_threads', q, ['agent_id'])}`,
      c.values,
    );
    return { byType, buckets, totals: totals! };
  }

  /**
   * The busiest threads: messages and participants from the range's day, hour and minute rows; the
   * first and last minute, for those few threads only, from their minute rows (by thread index).
   */
  async topThreads(q: RollupQuery, limit: number) {
    const p = new Params();
    const rows = rowsOf(p, 'analytics_threads', q, ['agent_id']);
    const top = `SELECT thread_id, SUM(sent) AS messages, COUNT(DISTINCT agent_id) AS participants
      FROM ${rows} GROUP BY thread_id ORDER BY messages DESC, thread_id LIMIT ${p.add(Math.max(0, Math.floor(limit)))}`;
    const minutes = where(p, q, ['agent_id'], ['m.thread_id = top.thread_id']);
    return this.db.query<{
      threadId: string;
      messages: number;
      participants: number;
      firstMinute: number;
      lastMinute: number;
    }>(
      `SELECT top.thread_id AS "threadId", top.messages, top.participants, x."firstMinute", x."lastMinute"
       FROM (${top}) AS top CROSS JOIN LATERAL (
         SELECT MIN(m.minute) AS "firstMinute", MAX(m.minute) AS "lastMinute" FROM analytics_threads m ${minutes}
       ) AS x
       ORDER BY top.messages DESC, top.thread_id`,
      p.values,
    );
  }

  // ---------------------------------------------------------------- performance and engagement

  async latencyTotals(q: RollupQuery) {
    const p = new Params();
    return this.db.query<{ metric: string; bin: number; count: number; sumMs: number }>(
      `SELECT metric, bin, SUM(count) AS count, SUM(sum_ms) AS "sumMs"
       FROM ${rowsOf(p, 'analytics_latency', q, ['agent_id'])} GROUP BY metric, bin ORDER BY metric, bin`,
      p.values,
    );
  }

  async latencySeries(q: RollupQuery, bucketMinutes: number) {
    const p = new Params();
    return this.db.query<{ bucket: number; metric: string; bin: number; count: number; sumMs: number }>(
      `SELECT ${bucketOf(p, bucketMinutes)} AS bucket, metric, bin, SUM(count) AS count, SUM(sum_ms) AS "sumMs"
       FROM ${rowsOf(p, 'analytics_latency', q, ['agent_id'], { bucketMinutes })}
       GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
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
       FROM ${rowsOf(p, 'analytics_latency', q, ['agent_id'])}
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
       FROM ${rowsOf(p, 'analytics_latency', q, ['agent_id'])} GROUP BY agent_id, metric ORDER BY agent_id, metric`,
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
       FROM ${rowsOf(p, 'analytics_replies', q, ['to_agent'])} GROUP BY to_agent ORDER BY to_agent`,
      p.values,
    );
  }

  async activeSenders(q: RollupQuery, bucketMinutes: number) {
    const a = new Params();
    const buckets = await this.db.query<{ bucket: number; agents: number }>(
      `SELECT ${bucketOf(a, bucketMinutes)} AS bucket, COUNT(DISTINCT agent_id) AS agents
       FROM ${rowsOf(a, 'analytics_agents', q, ['agent_id'], { extra: ['sent > 0'], bucketMinutes })}
       GROUP BY 1 ORDER BY 1`,
      a.values,
    );
    const b = new Params();
    const [total] = await this.db.query<{ n: number }>(
      `SELECT COUNT(DISTINCT agent_id) AS n
       FROM ${rowsOf(b, 'analytics_agents', q, ['agent_id'], { extra: ['sent > 0'] })}`,
      b.values,
    );
    return { buckets, total: total!.n };
  }
}
