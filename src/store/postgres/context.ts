/**
 * PostgreSQL implementation of ContextStore. Every write to a key (set, delete, expiry) first takes
 * a transaction-scoped advisory lock named after that key, so writes to one key from any node take
 * turns — including writes to a key that does not exist yet, which no row lock could cover. Each
 * then reads the committed entry and history, which makes compare-and-set exact (one winner among
 * racing writers that expect the same version) and versions strictly increasing per key. A write
 * that creates a key also takes its scope's lock before counting the scope's keys, so the key limit
 * is exact across nodes too. One transaction per call (no group commit here: each call's commit is
 * its own, and calls run side by side on the pool).
 */
import type {
  ContextAddress,
  ContextChange,
  ContextEntry,
  ContextFull,
  ContextScope,
  ContextStale,
  ContextStore,
  ContextWrite,
} from '../context.js';
import { HISTORY_PER_KEY } from '../context.js';
import type { PgDatabase, Queryable } from './database.js';
import { deletion, type EntryRow, expiry, type HistoryRow, toChange, toEntry } from '../rows/context.js';

/** The advisory-lock class of context keys (the two-key lock space; the second key is the key's hash). */
const CONTEXT_LOCK_CLASS = 7_700_200;
/** The advisory-lock class of context scopes, taken by writes that create a key (the key limit). */
const CONTEXT_SCOPE_LOCK_CLASS = 7_700_201;

/** Live at `now`: no expiry, or one after it. */
const live = (r: EntryRow | undefined, now: string): r is EntryRow =>
  r !== undefined && (r.expires_at === null || Date.parse(r.expires_at) > Date.parse(now));

const addr = (a: ContextAddress) => [a.scope, a.scopeId, a.key];
const KEY = 'scope = $1 AND scope_id = $2 AND key = $3';

/** The key's name for its lock: unambiguous (a JSON array), whatever characters the parts hold. */
const lockName = (a: ContextAddress) => JSON.stringify([a.scope, a.scopeId, a.key]);

/** Blocks until this transaction is the only writer of the key (released at commit or rollback). */
async function lockKey(c: Queryable, a: ContextAddress): Promise<void> {
  await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [CONTEXT_LOCK_CLASS, lockName(a)]);
}

/** Blocks until this transaction is the only one creating a key in the scope (released at commit or rollback). */
async function lockScope(c: Queryable, a: ContextAddress): Promise<void> {
  await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
    CONTEXT_SCOPE_LOCK_CLASS,
    JSON.stringify([a.scope, a.scopeId]),
  ]);
}

/** Like lockKey, but gives up at once (false) when another transaction holds the key. */
async function tryLockKey(c: Queryable, a: ContextAddress): Promise<boolean> {
  const { rows } = await c.query<{ ok: boolean }>(
    'SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS ok',
    [CONTEXT_LOCK_CLASS, lockName(a)],
  );
  return rows[0].ok;
}

async function entry(c: Queryable, a: ContextAddress): Promise<EntryRow | undefined> {
  return (await c.query<EntryRow>(`SELECT * FROM context_entries WHERE ${KEY}`, addr(a))).rows[0];
}

async function log(c: Queryable, a: ContextAddress, ch: Omit<ContextChange, keyof ContextAddress>) {
  await c.query(
    `INSERT INTO context_history (scope, scope_id, key, version, change, value, changed_by, changed_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      ...addr(a),
      ch.version,
      ch.change,
      ch.value === null ? null : JSON.stringify(ch.value),
      ch.changedBy,
      ch.changedAt,
      ch.expiresAt,
    ],
  );
  await c.query(
    `DELETE FROM context_history WHERE ${KEY} AND seq <
       (SELECT seq FROM context_history WHERE ${KEY} ORDER BY seq DESC LIMIT 1 OFFSET ${HISTORY_PER_KEY - 1})`,
    addr(a),
  );
}

/** Live keys of one scope at `now`. */
async function countLive(c: Queryable, scope: ContextScope, scopeId: string, now: string): Promise<number> {
  const { rows } = await c.query<{ n: number }>(
    `SELECT COUNT(*) AS n FROM context_entries WHERE scope = $1 AND scope_id = $2
     AND (expires_at IS NULL OR expires_at > $3::timestamptz)`,
    [scope, scopeId, now],
  );
  return Number(rows[0].n);
}

export class PgContextStore implements ContextStore {
  constructor(readonly db: PgDatabase) {}

  async getContext(a: ContextAddress, now: string): Promise<ContextEntry | null> {
    const [r] = await this.db.query<EntryRow>(`SELECT * FROM context_entries WHERE ${KEY}`, addr(a));
    return live(r, now) ? toEntry(r) : null;
  }

  async listContext(
    scope: ContextScope,
    scopeId: string,
    opts: { prefix?: string; now: string; limit: number; after?: string },
  ): Promise<ContextEntry[]> {
    const prefix = opts.prefix ?? '';
    // Keys are limited to [A-Za-z0-9._:-] and sort byte-wise (COLLATE "C"): a range scan on the prefix.
    const rows = await this.db.query<EntryRow>(
      `SELECT * FROM context_entries WHERE scope = $1 AND scope_id = $2 AND key >= $3 AND key > $4
         AND (expires_at IS NULL OR expires_at > $5::timestamptz) ORDER BY key LIMIT $6`,
      [scope, scopeId, prefix, opts.after ?? '', opts.now, opts.limit],
    );
    return rows
      .filter((r) => r.key.startsWith(prefix))
      .slice(0, opts.limit)
      .map(toEntry);
  }

  setContext(w: ContextWrite): Promise<ContextEntry | ContextStale | ContextFull> {
    const value = w.text ?? JSON.stringify(w.value);
    return this.db.tx(async (c) => {
      // Exactness across nodes: the key's advisory lock (see the header) — the version compared
      // below is the committed one, and no other writer of this key runs until we commit.
      await lockKey(c, w);
      const existing = await entry(c, w);
      const current = live(existing, w.at) ? existing : undefined;
      if (w.expectedVersion !== undefined && w.expectedVersion !== (current?.version ?? 0)) {
        return { stale: true as const, current: current ? toEntry(current) : null };
      }
      if (!current && w.maxKeys !== undefined) {
        // Writes creating keys in one scope take turns on the scope's lock (always after the key's
        // lock, never before, so no two writes wait on each other), and each counts the keys the
        // ones before it committed: the limit stays exact across nodes.
        await lockScope(c, w);
        const count = await countLive(c, w.scope, w.scopeId, w.at);
        if (count >= w.maxKeys) return { full: true as const, count };
      }
      if (existing && !current) {
        // Expired but not yet swept: its expiry is part of the history before the new value.
        await log(c, w, {
          version: existing.version + 1,
          change: 'expire',
          value: null,
          changedBy: null,
          changedAt: existing.expires_at ?? w.at,
          expiresAt: existing.expires_at,
        });
      }
      // A key's versions never repeat, even after a delete: the next is past its whole history.
      // Its writers take turns (the key lock), so its history versions rise with seq: the newest
      // row holds the highest, one step down the (scope, scope_id, key, seq) index.
      const { rows } = await c.query<{ v: number }>(
        `SELECT version AS v FROM context_history WHERE ${KEY} ORDER BY seq DESC LIMIT 1`,
        addr(w),
      );
      const version = Math.max(rows[0]?.v ?? 0, existing?.version ?? 0) + 1;
      const stored = await c.query<EntryRow>(
        `INSERT INTO context_entries
           (scope, scope_id, key, value, version, created_at, updated_at, updated_by, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8)
         ON CONFLICT (scope, scope_id, key) DO UPDATE SET value = excluded.value, version = excluded.version,
           created_at = CASE WHEN $9 THEN excluded.created_at ELSE context_entries.created_at END,
           updated_at = excluded.updated_at, updated_by = excluded.updated_by, expires_at = excluded.expires_at
         RETURNING *`,
        [...addr(w), value, version, w.at, w.by, w.expiresAt, current === undefined],
      );
      await log(c, w, {
        version,
        change: 'set',
        value: w.value,
        changedBy: w.by,
        changedAt: w.at,
        expiresAt: w.expiresAt,
      });
      return toEntry(stored.rows[0]);
    });
  }

  deleteContext(
    a: ContextAddress,
    opts: { expectedVersion?: number; by: string | null; at: string },
  ): Promise<ContextChange | ContextStale | null> {
    return this.db.tx(async (c) => {
      // Exactness across nodes: the key's advisory lock, as for setContext.
      await lockKey(c, a);
      const existing = await entry(c, a);
      const current = live(existing, opts.at) ? existing : undefined;
      if (opts.expectedVersion !== undefined && opts.expectedVersion !== (current?.version ?? 0)) {
        return { stale: true as const, current: current ? toEntry(current) : null };
      }
      if (!current) return null;
      await c.query(`DELETE FROM context_entries WHERE ${KEY}`, addr(a));
      const change = deletion(a, current.version, opts.by, opts.at);
      await log(c, a, change);
      return change;
    });
  }

  async contextHistory(a: ContextAddress, limit: number): Promise<ContextChange[]> {
    const rows = await this.db.query<HistoryRow>(
      `SELECT * FROM context_history WHERE ${KEY} ORDER BY seq DESC LIMIT $4`,
      [...addr(a), limit],
    );
    return rows.map(toChange);
  }

  sweepContext(now: string, limit: number): Promise<ContextChange[]> {
    return this.db.tx(async (c) => {
      const { rows } = await c.query<EntryRow>(
        `SELECT * FROM context_entries WHERE expires_at IS NOT NULL AND expires_at <= $1::timestamptz
         ORDER BY expires_at LIMIT $2`,
        [now, limit],
      );
      const out: ContextChange[] = [];
      for (const r of rows) {
        const a = { scope: r.scope, scopeId: r.scope_id, key: r.key };
        // Exactness across nodes: a key another node is writing or sweeping right now is skipped
        // (try-lock, so sweeps never wait on each other or deadlock); once we hold it, the entry is
        // re-read, so an entry another sweep removed or a writer renewed is left alone.
        if (!(await tryLockKey(c, a))) continue;
        const fresh = await entry(c, a);
        if (!fresh || fresh.expires_at === null || Date.parse(fresh.expires_at) > Date.parse(now)) continue;
        await c.query(`DELETE FROM context_entries WHERE ${KEY}`, addr(a));
        const change = expiry(a, fresh.version, fresh.expires_at, now);
        await log(c, a, change);
        out.push(change);
      }
      return out;
    });
  }

  countContext(scope: ContextScope, scopeId: string, now: string): Promise<number> {
    return countLive(this.db.reader, scope, scopeId, now);
  }

  async addContextWatcher(a: ContextAddress, agentId: string, at: string): Promise<boolean> {
    // The primary key makes a second identical watch a no-op on any node.
    const rows = await this.db.query(
      `INSERT INTO context_watchers (scope, scope_id, key, agent_id, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT DO NOTHING RETURNING 1`,
      [...addr(a), agentId, at],
    );
    return rows.length > 0;
  }

  async removeContextWatcher(a: ContextAddress, agentId: string): Promise<boolean> {
    const rows = await this.db.query(
      `DELETE FROM context_watchers WHERE ${KEY} AND agent_id = $4 RETURNING 1`,
      [...addr(a), agentId],
    );
    return rows.length > 0;
  }

  async contextWatchers(a: ContextAddress): Promise<string[]> {
    const rows = await this.db.query<{ agent_id: string }>(
      `SELECT DISTINCT agent_id FROM context_watchers WHERE scope = $1 AND scope_id = $2
       AND key IN ($3, '*') ORDER BY agent_id`,
      addr(a),
    );
    return rows.map((r) => r.agent_id);
  }
}
