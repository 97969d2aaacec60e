/**
 * Agent and pair totals at hour, day and all-time granularity (schema version 16), so
 * `agentTotals`/`pairTotals` (usage, the communication graph, insights) read a few rows per agent or
 * pair instead of every per-minute rollup row of the range. `analytics_agent_spans` and
 * `analytics_pair_spans` hold, per span (60 = hour, 1440 = day, 0 = all time) and bucket, the sums of
 * `analytics_agents` / `analytics_pairs`; they are written with those rows (same transaction, same
 * deltas), so they say exactly what the minute rows say.
 *
 * A query's time range is split like the history rollups' (`partition`): whole days, whole hours and
 * the minutes left at its edges; whole buckets come from the span tables, edge minutes from the
 * minute tables (a short range of their primary key), so answers stay exact for any since/until.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { AgentRollup, PairRollup, RollupQuery } from '../analytics.js';
import { partition } from './analytics-history.js';
import { StatementCache } from './statements.js';

const AGENT_SUMS = [
  'sent',
  'received',
  'tasks_claimed',
  'tasks_completed',
  'tasks_failed',
  'tokens',
  'cost_usd',
];
const PAIR_SUMS = ['messages', 'requests', 'responses', 'acks', 'latency_ms_sum', 'latency_count'];
const SPANS = [60, 1440, 0] as const;

type AgentTotals = Omit<AgentRollup, 'minute'>;
type PairTotals = Omit<PairRollup, 'minute'>;

/** Filters of a query on one piece's table: project, agents (any of `agentColumns`), and a range. */
function filters(
  q: RollupQuery,
  agentColumns: string[],
  range: { column: string; from: number; to: number },
  span?: number,
): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (span !== undefined) {
    parts.push('span = ?');
    params.push(span);
  }
  // One bucket (all time) is an equality, so a grouping can follow the primary key's order.
  if (range.to === range.from + 1) {
    parts.push(`${range.column} = ?`);
    params.push(range.from);
  } else {
    parts.push(`${range.column} >= ?`, `${range.column} < ?`);
    params.push(range.from, range.to);
  }
  if (q.project !== undefined) {
    parts.push('project = ?');
    params.push(q.project);
  }
  if (q.agentIds !== undefined) {
    const list = JSON.stringify(q.agentIds);
    parts.push(`(${agentColumns.map((c) => `${c} IN (SELECT value FROM json_each(?))`).join(' OR ')})`);
    for (let i = 0; i < agentColumns.length; i++) params.push(list);
  }
  return { sql: `WHERE ${parts.join(' AND ')}`, params };
}

export class TotalRollups {
  private readonly upsertAgent: Statement;
  private readonly upsertPair: Statement;
  private readonly dynamic: StatementCache;

  constructor(private readonly db: Database) {
    const values = (cols: string[]) =>
      SPANS.map((s) => `(${s}, ${s === 60 ? '@hour' : s === 1440 ? '@day' : '0'}, ${cols.join(', ')})`).join(
        ', ',
      );
    const add = (cols: string[]) => cols.map((c) => `${c} = ${c} + excluded.${c}`).join(', ');
    this.upsertAgent = db.prepare(`
      INSERT INTO analytics_agent_spans (span, bucket, agent_id, project, ${AGENT_SUMS.join(', ')}) VALUES
        ${values(['@agentId', '@project', '@sent', '@received', '@tasksClaimed', '@tasksCompleted', '@tasksFailed', '@tokens', '@costUsd'])}
      ON CONFLICT (span, bucket, agent_id, project) DO UPDATE SET ${add(AGENT_SUMS)}`);
    this.upsertPair = db.prepare(`
      INSERT INTO analytics_pair_spans (span, bucket, from_agent, to_agent, project, ${PAIR_SUMS.join(', ')}) VALUES
        ${values(['@from', '@to', '@project', '@messages', '@requests', '@responses', '@acks', '@latencyMsSum', '@latencyCount'])}
      ON CONFLICT (span, bucket, from_agent, to_agent, project) DO UPDATE SET ${add(PAIR_SUMS)}`);
    this.dynamic = new StatementCache(db, 50);
  }

  /** Adds a delta's agent and pair rows (a row per minute) to their hour, day and all-time buckets; inside the rollup transaction. */
  record(agents: AgentRollup[], pairs: PairRollup[]): void {
    const a = new Map<string, AgentRollup>();
    for (const r of agents) {
      const hour = r.minute - (r.minute % 60);
      const k = `${hour}|${r.agentId}|${r.project}`;
      const s = a.get(k);
      if (!s) a.set(k, { ...r, minute: hour });
      else {
        s.sent += r.sent;
        s.received += r.received;
        s.tasksClaimed += r.tasksClaimed;
        s.tasksCompleted += r.tasksCompleted;
        s.tasksFailed += r.tasksFailed;
        s.tokens += r.tokens;
        s.costUsd += r.costUsd;
      }
    }
    for (const r of a.values())
      this.upsertAgent.run({ ...r, hour: r.minute, day: r.minute - (r.minute % 1440) });
    const p = new Map<string, PairRollup>();
    for (const r of pairs) {
      const hour = r.minute - (r.minute % 60);
      const k = `${hour}|${r.from}|${r.to}|${r.project}`;
      const s = p.get(k);
      if (!s) p.set(k, { ...r, minute: hour });
      else {
        s.messages += r.messages;
        s.requests += r.requests;
        s.responses += r.responses;
        s.acks += r.acks;
        s.latencyMsSum += r.latencyMsSum;
        s.latencyCount += r.latencyCount;
      }
    }
    for (const r of p.values())
      this.upsertPair.run({ ...r, hour: r.minute, day: r.minute - (r.minute % 1440) });
  }

  clear(): void {
    this.db.exec('DELETE FROM analytics_agent_spans; DELETE FROM analytics_pair_spans');
  }

  agentTotals(q: RollupQuery): AgentTotals[] {
    const { sql, params } = this.union(q, 'agents', 'agent_id, project', ['agent_id'], AGENT_SUMS);
    if (!sql) return [];
    return this.dynamic
      .get(
        `SELECT agent_id AS agentId, MAX(project) AS project, SUM(sent) AS sent, SUM(received) AS received,
           SUM(tasks_claimed) AS tasksClaimed, SUM(tasks_completed) AS tasksCompleted, SUM(tasks_failed) AS tasksFailed,
           SUM(tokens) AS tokens, SUM(cost_usd) AS costUsd
         FROM ${sql} GROUP BY agent_id ORDER BY agent_id`,
      )
      .all(...params) as AgentTotals[];
  }

  pairTotals(q: RollupQuery): PairTotals[] {
    const { sql, params } = this.union(
      q,
      'pairs',
      'from_agent, to_agent, project',
      ['from_agent', 'to_agent'],
      PAIR_SUMS,
    );
    if (!sql) return [];
    return this.dynamic
      .get(
        `SELECT MAX(project) AS project, from_agent AS "from", to_agent AS "to", SUM(messages) AS messages,
           SUM(requests) AS requests, SUM(responses) AS responses, SUM(acks) AS acks,
           SUM(latency_ms_sum) AS latencyMsSum, SUM(latency_count) AS latencyCount
         FROM ${sql} GROUP BY from_agent, to_agent ORDER BY from_agent, to_agent`,
      )
      .all(...params) as PairTotals[];
  }

  /**
   * What to sum for a range: one SELECT per piece (whole buckets from the span table, edge minutes
   * from the minute table) as a subquery; a range of one piece (all time, whole days) is that
   * table itself, so the grouping can follow its primary key.
   */
  private union(
    q: RollupQuery,
    rollup: 'agents' | 'pairs',
    keys: string,
    agentColumns: string[],
    sums: string[],
  ): { sql: string; params: unknown[] } {
    const cols = `${keys}, ${sums.join(', ')}`;
    const spans = rollup === 'agents' ? 'analytics_agent_spans' : 'analytics_pair_spans';
    const parts: Array<{ from: string; where: string }> = [];
    const params: unknown[] = [];
    for (const p of partition(q.sinceMinute, q.untilMinute)) {
      const w =
        p.span === 1
          ? filters(q, agentColumns, { column: 'minute', from: p.from, to: p.to })
          : p.span === 0
            ? filters(q, agentColumns, { column: 'bucket', from: 0, to: 1 }, 0)
            : filters(q, agentColumns, { column: 'bucket', from: p.from, to: p.to }, p.span);
      parts.push({ from: p.span === 1 ? `analytics_${rollup}` : spans, where: w.sql });
      params.push(...w.params);
    }
    if (parts.length === 1) return { sql: `${parts[0]!.from} ${parts[0]!.where}`, params };
    return {
      sql: parts.length
        ? `(${parts.map((p) => `SELECT ${cols} FROM ${p.from} ${p.where}`).join(' UNION ALL ')})`
        : '',
      params,
    };
  }
}
