/**
 * Performance and engagement figures from day and all-time rollups (schema version 17), so a call
 * sums a few thousand rows instead of every per-hour latency and reply row of the range.
 *
 * `analytics_latency_spans` holds the latency histograms per hour (every agent only), per day and for
 * all time (every agent, and per agent in project scopes); `analytics_reply_spans` the reply counts per
 * recipient per day and for all time. Both are written with the minute/hour rollups of migration 013
 * (same transaction), from the same rows. A query's range is split into all time, whole days, whole
 * hours and edge minutes; hours it needs per agent come from `analytics_latency_hours` and minutes
 * from the minute tables, so answers stay exact for any `since`/`until` and agent filter.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { LatencyRollup, ReplyRollup, RollupQuery } from '../analytics.js';
import { type Piece, split } from '../minute-pieces.js';
import { StatementCache } from './statements.js';

export { type Piece, split };

/** Deltas with at most this many latency rows are written row by row (one statement each). */
const SMALL_DELTA = 64;

type Row = { span: number; scope: string; minute: number; key: string; values: number[] };

export class PerfSpans {
  private readonly upsertLatency: Statement;
  private readonly upsertReply: Statement;
  /** One row's hour, day and all-time rows in one statement (small, live deltas). */
  private readonly upsertLatencyRow: Statement;
  private readonly dynamic: StatementCache;

  constructor(private readonly db: Database) {
    this.upsertLatency = db.prepare(`
      INSERT INTO analytics_latency_spans (span, scope, minute, metric, agent_id, bin, count, sum_ms)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (span, scope, minute, metric, agent_id, bin) DO UPDATE SET
        count = count + excluded.count, sum_ms = sum_ms + excluded.sum_ms`);
    this.upsertLatencyRow = db.prepare(`
      INSERT INTO analytics_latency_spans (span, scope, minute, metric, agent_id, bin, count, sum_ms) VALUES
        ${[
          ['60', "'*'", '@hour', "'*'"],
          ['60', '@scope', '@hour', "'*'"],
          ['1440', "'*'", '@day', "'*'"],
          ['1440', '@scope', '@day', "'*'"],
          ['1440', '@scope', '@day', '@agent'],
          ['0', "'*'", '0', "'*'"],
          ['0', '@scope', '0', "'*'"],
          ['0', '@scope', '0', '@agent'],
        ]
          .map(
            ([span, scope, minute, agent]) =>
              `(${span}, ${scope}, ${minute}, @metric, ${agent}, @bin, @count, @sum)`,
          )
          .join(', ')}
      ON CONFLICT (span, scope, minute, metric, agent_id, bin) DO UPDATE SET
        count = count + excluded.count, sum_ms = sum_ms + excluded.sum_ms`);
    this.upsertReply = db.prepare(`
      INSERT INTO analytics_reply_spans (span, scope, minute, to_agent, requests, answered, ack_required, acked)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (span, scope, minute, to_agent) DO UPDATE SET
        requests = requests + excluded.requests, answered = answered + excluded.answered,
        ack_required = ack_required + excluded.ack_required, acked = acked + excluded.acked`);
    this.dynamic = new StatementCache(db);
  }

  /** Adds a delta's latency and reply rows to every span they fall in; call inside the write transaction. */
  record(latency: LatencyRollup[], replies: ReplyRollup[]): void {
    if (latency.length <= SMALL_DELTA)
      for (const r of latency)
        this.upsertLatencyRow.run({
          hour: Math.floor(r.minute / 60) * 60,
          day: Math.floor(r.minute / 1440) * 1440,
          scope: `p:${r.project}`,
          metric: r.metric,
          agent: r.agentId,
          bin: r.bin,
          count: r.count,
          sum: r.sumMs,
        });
    else this.recordMerged(latency);
    const rep = new Map<string, Row>();
    for (const r of replies) {
      const values = [r.requests, r.answered, r.ackRequired, r.acked];
      add(rep, 1440, `p:${r.project}`, Math.floor(r.minute / 1440) * 1440, r.to, values);
      add(rep, 0, `p:${r.project}`, 0, r.to, values);
    }
    for (const row of rep.values())
      this.upsertReply.run(row.span, row.scope, row.minute, row.key, ...row.values);
  }

  /** A large delta (a rebuild's batch): rows summed per span row first, then written once each. */
  private recordMerged(latency: LatencyRollup[]): void {
    const lat = new Map<string, Row>();
    for (const r of latency) {
      const hour = Math.floor(r.minute / 60) * 60;
      const day = Math.floor(r.minute / 1440) * 1440;
      const p = `p:${r.project}`;
      const key = (agent: string) => `${r.metric}\u0000${agent}\u0000${r.bin}`;
      for (const [span, scope, minute, agent] of [
        [60, '*', hour, '*'],
        [60, p, hour, '*'],
        [1440, '*', day, '*'],
        [1440, p, day, '*'],
        [1440, p, day, r.agentId],
        [0, '*', 0, '*'],
        [0, p, 0, '*'],
        [0, p, 0, r.agentId],
      ] as const)
        add(lat, span, scope, minute, key(agent), [r.count, r.sumMs]);
    }
    for (const row of lat.values()) {
      const [metric, agent, bin] = row.key.split('\u0000');
      this.upsertLatency.run(row.span, row.scope, row.minute, metric, agent, Number(bin), ...row.values);
    }
  }

  clear(): void {
    this.db.exec('DELETE FROM analytics_latency_spans; DELETE FROM analytics_reply_spans');
  }

  latencyTotals(q: RollupQuery) {
    const w = this.latencyRows(
      q,
      split(q.sinceMinute, q.untilMinute, [0, 1440, 60, 1]),
      'metric, bin, count, sum_ms',
    );
    return this.all<{ metric: string; bin: number; count: number; sumMs: number }>(
      `SELECT metric, bin, SUM(count) AS count, SUM(sum_ms) AS sumMs FROM (${w.sql})
       GROUP BY metric, bin ORDER BY metric, bin`,
      w.params,
    );
  }

  /** Per bucket of `bucketMinutes` (a multiple of 60), metric and bin; undefined for other sizes. */
  latencySeries(q: RollupQuery, bucketMinutes: number) {
    const w = this.seriesRows(q, bucketMinutes);
    if (!w) return undefined;
    return this.all<{ bucket: number; metric: string; bin: number; count: number; sumMs: number }>(
      `${w.sql} ORDER BY bucket, metric, bin`,
      w.params,
    );
  }

  /**
   * Per bucket of `bucketMinutes` (a multiple of 60) and metric: count, sum and the histogram as
   * `bin:count,...` (one row per bucket and metric, not per bin: several times fewer rows to hand
   * over); undefined for other sizes.
   */
  latencySeriesHistograms(q: RollupQuery, bucketMinutes: number) {
    const w = this.seriesRows(q, bucketMinutes);
    if (!w) return undefined;
    return this.all<{ bucket: number; metric: string; count: number; sumMs: number; bins: string }>(
      `SELECT bucket, metric, SUM(count) AS count, SUM(sumMs) AS sumMs, group_concat(bin || ':' || count) AS bins
       FROM (${w.sql}) GROUP BY bucket, metric ORDER BY bucket, metric`,
      w.params,
    );
  }

  /** (bucket, metric, bin, count, sumMs) of a series, one row per bucket, metric and bin, unordered. */
  private seriesRows(q: RollupQuery, bucketMinutes: number) {
    const n = Math.floor(bucketMinutes);
    if (n % 60 !== 0) return undefined;
    const pieces = split(q.sinceMinute, q.untilMinute, n % 1440 === 0 ? [1440, 60, 1] : [60, 1]);
    if (pieces.length === 0) return { sql: '', params: [] };
    const only = pieces.length === 1 && q.agentIds === undefined ? pieces[0]! : undefined;
    if (only?.span === n) {
      // Whole buckets only: the rows for every agent are the answer.
      const w = spanConditions(q, only, 'agent_id', false);
      return {
        sql: `SELECT minute AS bucket, metric, bin, count, sum_ms AS sumMs FROM analytics_latency_spans ${w.sql}`,
        params: w.params,
      };
    }
    const w = this.latencyRows(q, pieces, 'minute, metric, bin, count, sum_ms');
    return {
      sql: `SELECT (minute / ${n}) * ${n} AS bucket, metric, bin, SUM(count) AS count, SUM(sum_ms) AS sumMs
            FROM (${w.sql}) GROUP BY bucket, metric, bin`,
      params: w.params,
    };
  }

  latencyByAgent(q: RollupQuery) {
    const w = this.latencyRows(
      q,
      split(q.sinceMinute, q.untilMinute, [0, 1440, 60, 1]),
      'agent_id, metric, bin, count, sum_ms',
      true,
    );
    return this.all<{ agentId: string; metric: string; bin: number; count: number; sumMs: number }>(
      `SELECT agent_id AS agentId, metric, bin, SUM(count) AS count, SUM(sum_ms) AS sumMs FROM (${w.sql})
       GROUP BY agent_id, metric, bin ORDER BY agent_id, metric, bin`,
      w.params,
    );
  }

  /** Per agent and metric: count, sum and the histogram as `bin:count,...` (one row per agent and metric). */
  latencyByAgentHistograms(q: RollupQuery) {
    const w = this.latencyRows(
      q,
      split(q.sinceMinute, q.untilMinute, [0, 1440, 60, 1]),
      'agent_id, metric, bin, count, sum_ms',
      true,
    );
    return this.all<{ agentId: string; metric: string; count: number; sumMs: number; bins: string }>(
      `SELECT agentId, metric, SUM(count) AS count, SUM(sumMs) AS sumMs, group_concat(bin || ':' || count) AS bins
       FROM (SELECT agent_id AS agentId, metric, bin, SUM(count) AS count, SUM(sum_ms) AS sumMs FROM (${w.sql})
             GROUP BY agent_id, metric, bin)
       GROUP BY agentId, metric ORDER BY agentId, metric`,
      w.params,
    );
  }

  latencyCounts(q: RollupQuery) {
    const w = this.latencyRows(
      q,
      split(q.sinceMinute, q.untilMinute, [0, 1440, 60, 1]),
      'agent_id, metric, count',
      true,
    );
    return this.all<{ agentId: string; metric: string; count: number }>(
      `SELECT agent_id AS agentId, metric, SUM(count) AS count FROM (${w.sql})
       GROUP BY agent_id, metric ORDER BY agent_id, metric`,
      w.params,
    );
  }

  replyTotals(q: RollupQuery) {
    const cols = 'to_agent, requests, answered, ack_required, acked';
    const parts = split(q.sinceMinute, q.untilMinute, [0, 1440, 60, 1]).map((p) => {
      if (p.span === 1 || p.span === 60) {
        const w = conditions(q, p, 'to_agent');
        return {
          sql: `SELECT ${cols} FROM analytics_replies${p.span === 60 ? '_hours' : ''} ${w.sql}`,
          params: w.params,
        };
      }
      const w = spanConditions(q, p, 'to_agent', true);
      return { sql: `SELECT ${cols} FROM analytics_reply_spans ${w.sql}`, params: w.params };
    });
    const w = union(parts);
    return this.all<{
      agentId: string;
      requests: number;
      answered: number;
      ackRequired: number;
      acked: number;
    }>(
      `SELECT to_agent AS agentId, SUM(requests) AS requests, SUM(answered) AS answered,
         SUM(ack_required) AS ackRequired, SUM(acked) AS acked
       FROM (${w.sql}) GROUP BY to_agent ORDER BY to_agent`,
      w.params,
    );
  }

  /**
   * Latency rows of the pieces as one UNION ALL of `columns`; `perAgent`: the caller groups by agent
   * (per-agent rows are read; they are also read whenever the query names agents).
   */
  private latencyRows(q: RollupQuery, pieces: Piece[], columns: string, perAgent = false) {
    const agents = perAgent || q.agentIds !== undefined;
    return union(
      pieces.map((p) => {
        if (p.span === 1 || (p.span === 60 && agents)) {
          const w = conditions(q, p, 'agent_id');
          return {
            sql: `SELECT ${columns} FROM analytics_latency${p.span === 60 ? '_hours' : ''} ${w.sql}`,
            params: w.params,
          };
        }
        const w = spanConditions(q, p, 'agent_id', agents);
        return { sql: `SELECT ${columns} FROM analytics_latency_spans ${w.sql}`, params: w.params };
      }),
    );
  }

  private all<T>(sql: string, params: unknown[]): T[] {
    if (sql.includes('FROM ()') || sql.startsWith(' ORDER BY')) return [];
    return this.dynamic.get(sql).all(...params) as T[];
  }
}

function add(
  rows: Map<string, Row>,
  span: number,
  scope: string,
  minute: number,
  key: string,
  values: number[],
) {
  const k = `${span}\u0000${scope}\u0000${minute}\u0000${key}`;
  const row = rows.get(k);
  if (!row) rows.set(k, { span, scope, minute, key, values: [...values] });
  else for (let i = 0; i < values.length; i++) row.values[i]! += values[i]!;
}

function union(parts: Array<{ sql: string; params: unknown[] }>) {
  return { sql: parts.map((p) => p.sql).join(' UNION ALL '), params: parts.flatMap((p) => p.params) };
}

/** WHERE of a minute or hour table (keyed by project and minute) for one piece. */
function conditions(q: RollupQuery, p: Piece, agentColumn: string) {
  const parts = ['minute >= ?', 'minute < ?'];
  const params: unknown[] = [p.from, p.to];
  if (q.project !== undefined) {
    parts.unshift('project = ?');
    params.unshift(q.project);
  }
  if (q.agentIds !== undefined) {
    parts.push(`${agentColumn} IN (SELECT value FROM json_each(?))`);
    params.push(JSON.stringify(q.agentIds));
  }
  return { sql: `WHERE ${parts.join(' AND ')}`, params };
}

/** WHERE of a span table for one piece; `perAgent`: rows per agent, else the rows for every agent. */
function spanConditions(q: RollupQuery, p: Piece, agentColumn: string, perAgent: boolean) {
  const parts = ['span = ?'];
  const params: unknown[] = [p.span];
  if (q.project !== undefined) {
    parts.push('scope = ?');
    params.push(`p:${q.project}`);
  } else if (!perAgent) parts.push(`scope = '*'`);
  parts.push('minute >= ?', 'minute < ?');
  params.push(p.span === 0 ? 0 : p.from, p.span === 0 ? 1 : p.to);
  if (perAgent) parts.push(`${agentColumn} <> '*'`);
  else parts.push(`${agentColumn} = '*'`);
  if (q.agentIds !== undefined) {
    parts.push(`${agentColumn} IN (SELECT value FROM json_each(?))`);
    params.push(JSON.stringify(q.agentIds));
  }
  return { sql: `WHERE ${parts.join(' AND ')}`, params };
}
