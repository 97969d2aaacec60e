/**
 * Conversation history at hour and day granularity without rescanning the per-minute thread rollups
 * (schema version 15). `analytics_history_seen` holds, per bucket (span 60 = hour, 1440 = day, 0 = all
 * time) and scope (`*` = every project, `p:<project>` = the rows of one project), each thread and
 * each agent that had a thread rollup row there once (threads with the messages sent), so a bucket's
 * distinct threads and participants are a COUNT(*) of an index range. `analytics_history_types` sums
 * messages by type per bucket. Both are written with the thread rollups (same transaction), from the
 * same rows, so they say exactly what `analytics_threads` says.
 *
 * Threads have no day rows (schema version 24): nearly every message of a busy hub starts a thread,
 * and each seen row is a b-tree insert on the send path. `analytics_history_day_threads` counts a
 * day's distinct threads instead (a thread counts when the write that brings its first rollup row
 * of the day finds none stored: a look-up by the thread's own index, no insert), and ranges of whole
 * days read their threads from the hours' rows, which list the same threads. Agents (written once
 * per hour) keep all spans.
 *
 * A query's time range is split into whole days, whole hours and the minutes left at its edges; whole
 * buckets are read here, the edge minutes from `analytics_threads` (a short range of its primary key),
 * so answers stay exact for any `since`/`until`. Queries limited to some agents keep the minute scan.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { RollupQuery, ThreadRollup } from '../analytics.js';
import { StatementCache } from './statements.js';

const LOW = -1e15;
const HIGH = 1e15;
/** Agent member keys known to be stored already (no write needed); bounded. */
const MAX_KNOWN = 200_000;

/** A part of a time range: whole buckets of `span` minutes (0: all time), or single minutes (1). */
interface Piece {
  span: 0 | 1 | 60 | 1440;
  from: number;
  to: number;
}

/** Splits [since, until) into whole days, whole hours and edge minutes. */
export function partition(since: number | undefined, until: number | undefined): Piece[] {
  if (since === undefined && until === undefined) return [{ span: 0, from: LOW, to: HIGH }];
  const s = since ?? LOW;
  const u = until ?? HIGH;
  if (s >= u) return [];
  const up = (x: number, m: number) => (x <= LOW ? LOW : Math.ceil(x / m) * m);
  const down = (x: number, m: number) => (x >= HIGH ? HIGH : Math.floor(x / m) * m);
  const out: Piece[] = [];
  const d0 = up(s, 1440);
  const d1 = down(u, 1440);
  const hoursAndMinutes = (a: number, b: number) => {
    if (a >= b) return;
    const h0 = up(a, 60);
    const h1 = down(b, 60);
    if (h0 < h1) {
      if (a < h0) out.push({ span: 1, from: a, to: h0 });
      out.push({ span: 60, from: h0, to: h1 });
      if (h1 < b) out.push({ span: 1, from: h1, to: b });
    } else out.push({ span: 1, from: a, to: b });
  };
  if (d0 < d1) {
    hoursAndMinutes(s, d0);
    out.push({ span: 1440, from: d0, to: d1 });
    hoursAndMinutes(d1, u);
  } else hoursAndMinutes(s, u);
  return out;
}

export class HistoryRollups {
  private readonly upsertThread: Statement;
  private readonly insertAgent: Statement;
  private readonly upsertType: Statement;
  private readonly threadInDay: Statement;
  private readonly threadInDayOf: Statement;
  private readonly addDayThreads: Statement;
  private readonly dynamic: StatementCache;
  private readonly known = new Set<string>();
  /** Bumped by `clear`: keys recorded before it are not remembered after it. */
  private generation = 0;

  constructor(private readonly db: Database) {
    // One statement per member writes all its buckets (hour, day, all time; threads: hour and all
    // time) in both scopes.
    const buckets = (row: (scope: string, span: number, bucket: string) => string, spans = [60, 1440, 0]) =>
      ['*', '@scoped'].flatMap((scope) =>
        spans.map((span) =>
          row(scope === '*' ? `'*'` : scope, span, span === 60 ? '@hour' : span === 1440 ? '@day' : '0'),
        ),
      );
    // Threads: hour and all time only (a day's threads are its hours').
    this.upsertThread = db.prepare(`
      INSERT INTO analytics_history_seen (span, scope, kind, bucket, member, sent) VALUES
        ${buckets((scope, span, bucket) => `(${span}, ${scope}, 't', ${bucket}, @id, @sent)`, [60, 0]).join(', ')}
      ON CONFLICT (span, scope, kind, bucket, member) DO UPDATE SET sent = sent + excluded.sent`);
    this.insertAgent = db.prepare(`
      INSERT OR IGNORE INTO analytics_history_seen (span, scope, kind, bucket, member, sent) VALUES
        ${buckets((scope, span, bucket) => `(${span}, ${scope}, 'a', ${bucket}, @id, 0)`).join(', ')}`);
    this.upsertType = db.prepare(`
      INSERT INTO analytics_history_types (span, scope, bucket, type, messages) VALUES
        ${buckets((scope, span, bucket) => `(${span}, ${scope}, ${bucket}, @type, @sent)`, [60, 1440]).join(', ')}
      ON CONFLICT (span, scope, bucket, type) DO UPDATE SET messages = messages + excluded.messages`);
    // Whether a thread has a rollup row in a day (any project, or one): its own index, one seek.
    const inDay = `SELECT 1 FROM analytics_threads INDEXED BY analytics_threads_thread
      WHERE thread_id = ? AND minute >= ? AND minute < ?`;
    this.threadInDay = db.prepare(`${inDay} LIMIT 1`).pluck();
    this.threadInDayOf = db.prepare(`${inDay} AND +project = ? LIMIT 1`).pluck();
    this.addDayThreads = db.prepare(`
      INSERT INTO analytics_history_day_threads (scope, bucket, threads) VALUES (?, ?, ?)
      ON CONFLICT (scope, bucket) DO UPDATE SET threads = threads + excluded.threads`);
    this.dynamic = new StatementCache(db, 100);
  }

  /**
   * Adds a delta's thread rollup rows; runs inside the rollup write transaction, before those rows
   * are written to `analytics_threads` (a day's new threads are those with no row there yet). Returns the keys
   * now stored, for `remember` once that transaction has committed (a batch that is rolled back
   * and replayed must write them again).
   */
  record(rows: ThreadRollup[], started: string[] = []): { generation: number; keys: string[] } {
    // Sum per hour first (a delta has a row per minute, agent and type), then write each hour's
    // members into their buckets (threads: hour and all time; agents: also day), for the project and
    // for every project.
    // Thread rows are always written: every message gives its thread a row that sends (sent > 0),
    // so there is nothing to skip; only agents (seen once per hour) are remembered.
    const threads = new Map<string, { hour: number; project: string; id: string; sent: number }>();
    const agents = new Map<string, { hour: number; project: string; id: string }>();
    const types = new Map<string, { hour: number; project: string; type: string; sent: number }>();
    for (const r of rows) {
      const hour = r.minute - (r.minute % 60);
      const scope = `${hour}|${r.project}|`;
      const tk = scope + r.threadId;
      const t = threads.get(tk);
      if (t) t.sent += r.sent;
      else threads.set(tk, { hour, project: r.project, id: r.threadId, sent: r.sent });
      const ak = scope + r.agentId;
      if (!agents.has(ak)) agents.set(ak, { hour, project: r.project, id: r.agentId });
      if (r.sent > 0) {
        const yk = scope + r.type;
        const y = types.get(yk);
        if (y) y.sent += r.sent;
        else types.set(yk, { hour, project: r.project, type: r.type, sent: r.sent });
      }
    }
    const stored: string[] = [];
    // Threads new to their day, per scope and day; each (scope, day, thread) looked at once.
    const dayNew = new Map<string, { scope: string; day: number; n: number }>();
    const looked = new Set<string>();
    // A thread started in this delta has no stored row: new to each day it has rows in.
    const fresh = new Set(started);
    for (const t of threads.values()) {
      this.upsertThread.run({ scoped: `p:${t.project}`, hour: t.hour, id: t.id, sent: t.sent });
      const day = t.hour - (t.hour % 1440);
      for (const scope of ['*', `p:${t.project}`]) {
        const k = `${scope}|${day}|${t.id}`;
        if (looked.has(k)) continue;
        looked.add(k);
        const before = fresh.has(t.id)
          ? undefined
          : scope === '*'
            ? this.threadInDay.get(t.id, day, day + 1440)
            : this.threadInDayOf.get(t.id, day, day + 1440, t.project);
        if (before !== undefined) continue;
        const c = dayNew.get(`${scope}|${day}`);
        if (c) c.n++;
        else dayNew.set(`${scope}|${day}`, { scope, day, n: 1 });
      }
    }
    for (const c of dayNew.values()) this.addDayThreads.run(c.scope, c.day, c.n);
    for (const [k, a] of agents) {
      if (this.known.has(k)) continue;
      const day = a.hour - (a.hour % 1440);
      this.insertAgent.run({ scoped: `p:${a.project}`, hour: a.hour, day, id: a.id });
      stored.push(k);
    }
    for (const y of types.values()) {
      const day = y.hour - (y.hour % 1440);
      this.upsertType.run({ scoped: `p:${y.project}`, hour: y.hour, day, type: y.type, sent: y.sent });
    }
    return { generation: this.generation, keys: stored };
  }

  /** Keys whose rows are committed: a later member row that sends nothing needs no write. */
  remember({ generation, keys }: { generation: number; keys: string[] }): void {
    if (generation !== this.generation) return;
    if (this.known.size + keys.length > MAX_KNOWN) this.known.clear();
    for (const k of keys) this.known.add(k);
  }

  clear(): void {
    this.known.clear();
    this.generation++;
    this.db.exec(
      'DELETE FROM analytics_history_seen; DELETE FROM analytics_history_types; DELETE FROM analytics_history_day_threads',
    );
  }

  /** Whether these rollups answer the query (not when it is limited to some agents). */
  serves(q: RollupQuery, bucketMinutes?: number): boolean {
    return q.agentIds === undefined && (bucketMinutes === undefined || [60, 1440].includes(bucketMinutes));
  }

  /** Per bucket: messages by type, distinct threads and participants; and the range's distinct totals. */
  series(q: RollupQuery, bucketMinutes: number) {
    const scope = q.project === undefined ? '*' : `p:${q.project}`;
    const b = Math.floor(bucketMinutes);
    const s = q.sinceMinute ?? LOW;
    const u = q.untilMinute ?? HIGH;
    // Whole buckets of the series' size, and the partial ones at the edges (from the minute rows).
    const whole = {
      from: s <= LOW ? LOW : Math.ceil(s / b) * b,
      to: u >= HIGH ? HIGH : Math.floor(u / b) * b,
    };
    const edges: Array<[number, number]> = [];
    if (whole.from >= whole.to) edges.push([s, u]);
    else {
      if (s < whole.from) edges.push([s, whole.from]);
      if (whole.to < u) edges.push([whole.to, u]);
    }
    const counts = new Map<number, { bucket: number; threads: number; participants: number }>();
    const byType: Array<{ bucket: number; type: string; messages: number }> = [];
    if (whole.from < whole.to) {
      // Days: agents from their day rows, threads from the day counts.
      const rows = this.dynamic
        .get(
          b === 60
            ? `SELECT bucket, kind, COUNT(*) AS n FROM analytics_history_seen
               WHERE span = 60 AND scope = ? AND kind IN ('t', 'a') AND bucket >= ? AND bucket < ?
               GROUP BY kind, bucket`
            : `SELECT bucket, 'a' AS kind, COUNT(*) AS n FROM analytics_history_seen
               WHERE span = 1440 AND scope = ? AND kind = 'a' AND bucket >= ? AND bucket < ?
               GROUP BY bucket
               UNION ALL
               SELECT bucket, 't', threads FROM analytics_history_day_threads
               WHERE scope = ? AND bucket >= ? AND bucket < ?`,
        )
        .all(...[scope, whole.from, whole.to], ...(b === 60 ? [] : [scope, whole.from, whole.to])) as Array<{
        bucket: number;
        kind: string;
        n: number;
      }>;
      for (const r of rows) {
        const c = counts.get(r.bucket) ?? { bucket: r.bucket, threads: 0, participants: 0 };
        if (r.kind === 't') c.threads = r.n;
        else c.participants = r.n;
        counts.set(r.bucket, c);
      }
      byType.push(
        ...(this.dynamic
          .get(
            `SELECT bucket, type, messages FROM analytics_history_types
             WHERE span = ? AND scope = ? AND bucket >= ? AND bucket < ? AND messages > 0`,
          )
          .all(b, scope, whole.from, whole.to) as typeof byType),
      );
    }
    for (const [from, to] of edges) {
      const p = q.project === undefined ? '' : 'AND project = ?';
      const params = q.project === undefined ? [from, to] : [from, to, q.project];
      const bucket = `(minute / ${b}) * ${b}`;
      for (const r of this.dynamic
        .get(
          `SELECT ${bucket} AS bucket, COUNT(DISTINCT thread_id) AS threads, COUNT(DISTINCT agent_id) AS participants
           FROM analytics_threads WHERE minute >= ? AND minute < ? ${p} GROUP BY bucket`,
        )
        .all(...params) as Array<{ bucket: number; threads: number; participants: number }>)
        counts.set(r.bucket, r);
      byType.push(
        ...(this.dynamic
          .get(
            `SELECT ${bucket} AS bucket, type, SUM(sent) AS messages FROM analytics_threads
             WHERE minute >= ? AND minute < ? ${p} GROUP BY bucket, type HAVING messages > 0`,
          )
          .all(...params) as typeof byType),
      );
    }
    byType.sort((x, y) => x.bucket - y.bucket || (x.type < y.type ? -1 : x.type > y.type ? 1 : 0));
    const buckets = [...counts.values()].sort((x, y) => x.bucket - y.bucket);
    return { byType, buckets, totals: this.totals(q, scope) };
  }

  /** The busiest threads in the range: messages sent, distinct participants, first and last minute. */
  top(q: RollupQuery, limit: number) {
    const scope = q.project === undefined ? '*' : `p:${q.project}`;
    const pieces = partition(q.sinceMinute, q.untilMinute);
    if (pieces.length === 0 || limit === 0) return [];
    const { sql, params } = this.union(pieces, scope, 't', 'member, sent', 'thread_id AS member, sent');
    // One all-time bucket lists each thread once: no grouping needed.
    const once = pieces.length === 1 && pieces[0].span === 0;
    const top = this.dynamic
      .get(
        once
          ? `SELECT member, sent AS messages FROM (${sql}) ORDER BY messages DESC, member LIMIT ?`
          : `SELECT member, SUM(sent) AS messages FROM (${sql}) GROUP BY member
             ORDER BY messages DESC, member LIMIT ?`,
      )
      .all(...params, limit) as Array<{ member: string; messages: number }>;
    // `+project`: look the thread up by its own index, not by the project's (all its rows).
    const p = q.project === undefined ? '' : 'AND +project = ?';
    const details = this.dynamic.get(
      `SELECT COUNT(DISTINCT agent_id) AS participants, MIN(minute) AS firstMinute, MAX(minute) AS lastMinute
       FROM analytics_threads INDEXED BY analytics_threads_thread
       WHERE thread_id = ? AND minute >= ? AND minute < ? ${p}`,
    );
    return top.map((t) => {
      const d = details.get(
        t.member,
        q.sinceMinute ?? LOW,
        q.untilMinute ?? HIGH,
        ...(q.project === undefined ? [] : [q.project]),
      ) as { participants: number; firstMinute: number; lastMinute: number };
      return { threadId: t.member, messages: t.messages, ...d };
    });
  }

  private totals(q: RollupQuery, scope: string): { threads: number; participants: number } {
    const pieces = partition(q.sinceMinute, q.untilMinute);
    if (pieces.length === 0) return { threads: 0, participants: 0 };
    const count = (kind: 't' | 'a', column: string) => {
      const { sql, params } = this.union(pieces, scope, kind, 'member', `${column} AS member`);
      // One all-time bucket lists each member once.
      const what = pieces.length === 1 && pieces[0].span === 0 ? 'COUNT(*)' : 'COUNT(DISTINCT member)';
      return (this.dynamic.get(`SELECT ${what} AS n FROM (${sql})`).get(...params) as { n: number }).n;
    };
    return { threads: count('t', 'thread_id'), participants: count('a', 'agent_id') };
  }

  /** One SELECT per piece: whole buckets from the history rows, minutes from `analytics_threads`. */
  private union(
    pieces: Piece[],
    scope: string,
    kind: 't' | 'a',
    seenColumns: string,
    minuteColumns: string,
  ): { sql: string; params: unknown[] } {
    const parts: string[] = [];
    const params: unknown[] = [];
    for (const p of pieces) {
      if (p.span === 1) {
        parts.push(
          `SELECT ${minuteColumns} FROM analytics_threads WHERE minute >= ? AND minute < ?${scope === '*' ? '' : ' AND project = ?'}`,
        );
        params.push(p.from, p.to, ...(scope === '*' ? [] : [scope.slice(2)]));
      } else {
        parts.push(
          `SELECT ${seenColumns} FROM analytics_history_seen WHERE span = ? AND scope = ? AND kind = ? AND bucket >= ? AND bucket < ?`,
        );
        // Whole days of threads: their hours' rows (callers count or sum per member).
        params.push(kind === 't' && p.span === 1440 ? 60 : p.span, scope, kind, p.from, p.to);
      }
    }
    return { sql: parts.join(' UNION ALL '), params };
  }
}
