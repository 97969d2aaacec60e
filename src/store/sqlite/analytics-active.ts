/**
 * Active agents (distinct agents that sent) per hour, day and all time (schema version 17), for the
 * engagement series, without counting distinct agents over every per-minute agent rollup row.
 *
 * `analytics_active_seen` holds, per span (60 = hour, 1440 = day, 0 = all time), scope (`*` = every
 * project, `p:<project>`) and bucket, each agent that sent there; `analytics_active_counts` how many
 * those are. Both are written with `analytics_agents` (same transaction), from the same rows. A
 * series' whole buckets are read from the counts; its partial buckets at the range's edges count the
 * distinct agents of the whole hours and edge minutes (`analytics_agents`) they hold. Queries limited
 * to some agents count the seen rows of those agents.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { AgentRollup, RollupQuery } from '../analytics.js';
import { type Piece, split } from './analytics-perf-spans.js';
import { StatementCache } from './statements.js';

export class ActiveSenders {
  private readonly insertSeen: Statement;
  private readonly bumpCount: Statement;
  private readonly dynamic: StatementCache;

  constructor(private readonly db: Database) {
    // One statement per sender and hour marks it in its hour, day and all time, in both scopes; the
    // rows it returns are the new ones, whose buckets count one agent more.
    this.insertSeen = db.prepare(`
      INSERT OR IGNORE INTO analytics_active_seen (span, scope, minute, agent_id) VALUES
        (60, '*', @hour, @agent), (60, @scope, @hour, @agent), (1440, '*', @day, @agent),
        (1440, @scope, @day, @agent), (0, '*', 0, @agent), (0, @scope, 0, @agent)
      RETURNING span, scope, minute`);
    this.bumpCount = db.prepare(`
      INSERT INTO analytics_active_counts (span, scope, minute, agents) VALUES (?, ?, ?, 1)
      ON CONFLICT (span, scope, minute) DO UPDATE SET agents = agents + 1`);
    this.dynamic = new StatementCache(db);
  }

  /** Notes the senders among agent rollup rows; call inside the write transaction. */
  record(rows: AgentRollup[]): void {
    const done = new Set<string>();
    for (const r of rows) {
      if (!(r.sent > 0)) continue;
      const hour = Math.floor(r.minute / 60) * 60;
      const key = `${hour}\u0000${r.project}\u0000${r.agentId}`;
      if (done.has(key)) continue;
      done.add(key);
      const added = this.insertSeen.all({
        hour,
        day: Math.floor(r.minute / 1440) * 1440,
        scope: `p:${r.project}`,
        agent: r.agentId,
      }) as Array<{ span: number; scope: string; minute: number }>;
      for (const x of added) this.bumpCount.run(x.span, x.scope, x.minute);
    }
  }

  clear(): void {
    this.db.exec('DELETE FROM analytics_active_seen; DELETE FROM analytics_active_counts');
  }

  /** Per bucket of `bucketMinutes` (a multiple of 60) and over the range; undefined for other sizes. */
  read(q: RollupQuery, bucketMinutes: number) {
    const n = Math.floor(bucketMinutes);
    if (n % 60 !== 0) return undefined;
    const scope = q.project === undefined ? '*' : `p:${q.project}`;
    const pieces = split(q.sinceMinute, q.untilMinute, n % 1440 === 0 ? [1440, 60, 1] : [60, 1]);
    // Whole buckets of the series' size, when no agent filter: their counts.
    const whole = q.agentIds === undefined ? pieces.filter((p) => p.span === n) : [];
    const rest = pieces.filter((p) => !whole.includes(p));
    const counted = whole.flatMap(
      (p) =>
        this.dynamic
          .get(
            `SELECT minute AS bucket, agents FROM analytics_active_counts
             WHERE span = ? AND scope = ? AND minute >= ? AND minute < ?`,
          )
          .all(p.span, scope, p.from, p.to) as Array<{ bucket: number; agents: number }>,
    );
    const members = this.members(q, scope, rest);
    const distinct = members.sql
      ? (this.dynamic
          .get(
            `SELECT (minute / ${n}) * ${n} AS bucket, COUNT(DISTINCT agent_id) AS agents FROM (${members.sql})
             GROUP BY bucket`,
          )
          .all(...members.params) as Array<{ bucket: number; agents: number }>)
      : [];
    const buckets = [...counted, ...distinct].filter((b) => b.agents > 0).sort((a, b) => a.bucket - b.bucket);
    return { buckets, total: this.total(q, scope) };
  }

  private total(q: RollupQuery, scope: string): number {
    const pieces = split(q.sinceMinute, q.untilMinute, [0, 1440, 60, 1]);
    if (q.agentIds === undefined && pieces.length === 1 && pieces[0]!.span === 0) {
      const row = this.db
        .prepare('SELECT agents FROM analytics_active_counts WHERE span = 0 AND scope = ? AND minute = 0')
        .get(scope) as { agents: number } | undefined;
      return row?.agents ?? 0;
    }
    const members = this.members(q, scope, pieces);
    if (!members.sql) return 0;
    const row = this.dynamic
      .get(`SELECT COUNT(DISTINCT agent_id) AS n FROM (${members.sql})`)
      .get(...members.params) as { n: number };
    return row.n;
  }

  /** (minute, agent_id) of the senders in the pieces: seen rows for whole buckets, agent rollups for minutes. */
  private members(q: RollupQuery, scope: string, pieces: Piece[]) {
    const agents = q.agentIds === undefined ? '' : ' AND agent_id IN (SELECT value FROM json_each(?))';
    const list = q.agentIds === undefined ? [] : [JSON.stringify(q.agentIds)];
    const parts = pieces.map((p) =>
      p.span === 1
        ? {
            sql: `SELECT minute, agent_id FROM analytics_agents
                  WHERE ${q.project === undefined ? '' : 'project = ? AND '}minute >= ? AND minute < ? AND sent > 0${agents}`,
            params: [...(q.project === undefined ? [] : [q.project]), p.from, p.to, ...list],
          }
        : {
            sql: `SELECT minute, agent_id FROM analytics_active_seen
                  WHERE span = ? AND scope = ? AND minute >= ? AND minute < ?${agents}`,
            params: [p.span, scope, p.span === 0 ? 0 : p.from, p.span === 0 ? 1 : p.to, ...list],
          },
    );
    return { sql: parts.map((p) => p.sql).join(' UNION ALL '), params: parts.flatMap((p) => p.params) };
  }
}
