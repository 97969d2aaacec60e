/**
 * SQLite implementation of ContextStore. Reads run at once; writes go through the group-commit batcher.
 * Two per-write costs are kept off the hot path (bench/README.md, "Session 10"): a key's history is
 * pruned on every PRUNE_EVERY-th version instead of on every write (finding the 100th newest row
 * walks 100 index entries; reads never return more than HISTORY_PER_KEY), and, when this connection
 * is the file's only writer (a hub holds its file's lock), each key's watcher list is remembered until
 * a watcher is added or removed.
 */
import type { Database, Statement } from 'better-sqlite3';
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
import type { WriteBatcher } from './batcher.js';
import { deletion, type EntryRow, expiry, type HistoryRow, toChange, toEntry } from '../rows/context.js';

/**
 * A key's history is pruned back to its newest HISTORY_PER_KEY changes when a change's version is a
 * multiple of this, so it holds at most HISTORY_PER_KEY + PRUNE_EVERY - 1 rows (a few more after an
 * expiry, whose two changes take two versions) and every read stops at HISTORY_PER_KEY.
 */
export const PRUNE_EVERY = 16;

/** Watcher lists remembered at most (keys with their own list); past it the memo starts afresh. */
const WATCHER_MEMO_MAX = 4096;

const live = (r: EntryRow | undefined, now: string): r is EntryRow =>
  r !== undefined && (r.expires_at === null || r.expires_at > now);

export class SqliteContextStore implements ContextStore {
  private readonly one: Statement;
  private readonly list: Statement;
  private readonly lastVersion: Statement;
  private readonly upsert: Statement;
  private readonly remove: Statement;
  private readonly record: Statement;
  private readonly prune: Statement;
  private readonly history: Statement;
  private readonly expired: Statement;
  private readonly count: Statement;
  private readonly addWatcher: Statement;
  private readonly removeWatcher: Statement;
  private readonly watchers: Statement;
  /**
   * With `exclusive`: each key's watchers as last read, until the next watcher write. A write clears
   * it while it runs (inside its transaction, on this thread), so a list read after it, committed or
   * rolled back, comes from the table again. Without: every list is read from the table (another
   * connection may change it; checking `PRAGMA data_version` cost as much as the read).
   */
  private readonly watcherMemo: Map<string, string[]> | null;

  constructor(
    readonly db: Database,
    readonly batcher: WriteBatcher,
    /** No other connection writes this file (the hub lock): watcher lists may be remembered. */
    exclusive = false,
  ) {
    this.watcherMemo = exclusive ? new Map() : null;
    this.one = db.prepare('SELECT * FROM context_entries WHERE scope = ? AND scope_id = ? AND key = ?');
    this.list = db.prepare(`SELECT * FROM context_entries WHERE scope = ? AND scope_id = ? AND key >= ?
      AND key > ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY key LIMIT (? + 0)`);
    // A key's history versions rise with seq (its writes take turns, each past the last), so the
    // newest row holds the highest version: one step down the (scope, scope_id, key, seq) index,
    // where MAX(version) read every row of the key's history.
    this.lastVersion = db.prepare(
      'SELECT version AS v FROM context_history WHERE scope = ? AND scope_id = ? AND key = ? ORDER BY seq DESC LIMIT 1',
    );
    this.upsert = db.prepare(`INSERT INTO context_entries
      (scope, scope_id, key, value, version, created_at, updated_at, updated_by, expires_at)
      VALUES (@scope, @scopeId, @key, @value, @version, @at, @at, @by, @expiresAt)
      ON CONFLICT (scope, scope_id, key) DO UPDATE SET value = excluded.value, version = excluded.version,
        created_at = CASE WHEN @fresh THEN excluded.created_at ELSE context_entries.created_at END,
        updated_at = excluded.updated_at, updated_by = excluded.updated_by, expires_at = excluded.expires_at`);
    this.remove = db.prepare('DELETE FROM context_entries WHERE scope = ? AND scope_id = ? AND key = ?');
    this.record = db.prepare(`INSERT INTO context_history
      (scope, scope_id, key, version, change, value, changed_by, changed_at, expires_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.prune =
      db.prepare(`DELETE FROM context_history WHERE scope = ? AND scope_id = ? AND key = ? AND seq <
      (SELECT seq FROM context_history WHERE scope = ? AND scope_id = ? AND key = ? ORDER BY seq DESC
       LIMIT 1 OFFSET ${HISTORY_PER_KEY - 1})`);
    this.history = db.prepare(
      'SELECT * FROM context_history WHERE scope = ? AND scope_id = ? AND key = ? ORDER BY seq DESC LIMIT (? + 0)',
    );
    this.expired = db.prepare(
      'SELECT * FROM context_entries WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at LIMIT ?',
    );
    this.count = db.prepare(
      'SELECT COUNT(*) AS n FROM context_entries WHERE scope = ? AND scope_id = ? AND (expires_at IS NULL OR expires_at > ?)',
    );
    this.addWatcher = db.prepare(
      'INSERT OR IGNORE INTO context_watchers (scope, scope_id, key, agent_id, created_at) VALUES (?, ?, ?, ?, ?)',
    );
    this.removeWatcher = db.prepare(
      'DELETE FROM context_watchers WHERE scope = ? AND scope_id = ? AND key = ? AND agent_id = ?',
    );
    this.watchers = db.prepare(
      `SELECT DISTINCT agent_id FROM context_watchers WHERE scope = ? AND scope_id = ? AND key IN (?, '*')
       ORDER BY agent_id`,
    );
  }

  private row(a: ContextAddress): EntryRow | undefined {
    return this.one.get(a.scope, a.scopeId, a.key) as EntryRow | undefined;
  }

  async getContext(a: ContextAddress, now: string): Promise<ContextEntry | null> {
    const r = this.row(a);
    return live(r, now) ? toEntry(r) : null;
  }

  async listContext(
    scope: ContextScope,
    scopeId: string,
    opts: { prefix?: string; now: string; limit: number; after?: string },
  ): Promise<ContextEntry[]> {
    const prefix = opts.prefix ?? '';
    // Keys are limited to [A-Za-z0-9._:-], so a range scan on the prefix needs no LIKE escaping.
    const rows = this.list.all(scope, scopeId, prefix, opts.after ?? '', opts.now, opts.limit) as EntryRow[];
    return rows
      .filter((r) => r.key.startsWith(prefix))
      .slice(0, opts.limit)
      .map(toEntry);
  }

  /** A key's versions never repeat, even after a delete: the next is past its whole history. */
  private nextVersion(a: ContextAddress, current: EntryRow | undefined): number {
    const past = (this.lastVersion.get(a.scope, a.scopeId, a.key) as { v: number } | undefined)?.v ?? 0;
    return Math.max(past, current?.version ?? 0) + 1;
  }

  /** Records a change; `text` is its value already as JSON, when the caller has it. */
  private log(a: ContextAddress, c: Omit<ContextChange, keyof ContextAddress> & { text?: string }): void {
    this.record.run(
      a.scope,
      a.scopeId,
      a.key,
      c.version,
      c.change,
      c.value === null ? null : (c.text ?? JSON.stringify(c.value)),
      c.changedBy,
      c.changedAt,
      c.expiresAt,
    );
    if (c.version % PRUNE_EVERY === 0) this.prune.run(a.scope, a.scopeId, a.key, a.scope, a.scopeId, a.key);
  }

  setContext(w: ContextWrite): Promise<ContextEntry | ContextStale | ContextFull> {
    const value = w.text ?? JSON.stringify(w.value);
    // Concurrent calls share the batcher's transaction; each is decided here, in call order, against
    // what the calls before it in the same batch wrote. A refused call returns before writing anything.
    return this.batcher.run(() => {
      const existing = this.row(w);
      const current = live(existing, w.at) ? existing : undefined;
      if (w.expectedVersion !== undefined && w.expectedVersion !== (current?.version ?? 0)) {
        return { stale: true as const, current: current ? toEntry(current) : null };
      }
      if (!current && w.maxKeys !== undefined) {
        const count = (this.count.get(w.scope, w.scopeId, w.at) as { n: number }).n;
        if (count >= w.maxKeys) return { full: true as const, count };
      }
      if (existing && !current) {
        // Expired but not yet swept: its expiry is part of the history before the new value.
        this.log(w, {
          version: existing.version + 1,
          change: 'expire',
          value: null,
          changedBy: null,
          changedAt: existing.expires_at ?? w.at,
          expiresAt: existing.expires_at,
        });
      }
      const version = this.nextVersion(w, existing);
      const createdAt = current ? current.created_at : w.at;
      this.upsert.run({
        scope: w.scope,
        scopeId: w.scopeId,
        key: w.key,
        value,
        version,
        at: w.at,
        by: w.by,
        expiresAt: w.expiresAt,
        fresh: current ? 0 : 1,
      });
      this.log(w, {
        version,
        change: 'set',
        value: w.value,
        changedBy: w.by,
        changedAt: w.at,
        expiresAt: w.expiresAt,
        text: value,
      });
      // The row just written, without reading it back.
      return toEntry({
        scope: w.scope,
        scope_id: w.scopeId,
        key: w.key,
        value,
        version,
        created_at: createdAt,
        updated_at: w.at,
        updated_by: w.by,
        expires_at: w.expiresAt,
      });
    });
  }

  deleteContext(
    a: ContextAddress,
    opts: { expectedVersion?: number; by: string | null; at: string },
  ): Promise<ContextChange | ContextStale | null> {
    return this.batcher.run(() => {
      const existing = this.row(a);
      const current = live(existing, opts.at) ? existing : undefined;
      if (opts.expectedVersion !== undefined && opts.expectedVersion !== (current?.version ?? 0)) {
        return { stale: true as const, current: current ? toEntry(current) : null };
      }
      if (!current) return null;
      this.remove.run(a.scope, a.scopeId, a.key);
      const change = deletion(a, current.version, opts.by, opts.at);
      this.log(a, change);
      return change;
    });
  }

  async contextHistory(a: ContextAddress, limit: number): Promise<ContextChange[]> {
    const rows = this.history.all(a.scope, a.scopeId, a.key, Math.min(limit, HISTORY_PER_KEY));
    return (rows as HistoryRow[]).map(toChange);
  }

  sweepContext(now: string, limit: number): Promise<ContextChange[]> {
    return this.batcher.run(() => {
      const rows = this.expired.all(now, limit) as EntryRow[];
      return rows.map((r) => {
        const a = { scope: r.scope, scopeId: r.scope_id, key: r.key };
        this.remove.run(r.scope, r.scope_id, r.key);
        const change = expiry(a, r.version, r.expires_at, now);
        this.log(a, change);
        return change;
      });
    });
  }

  async countContext(scope: ContextScope, scopeId: string, now: string): Promise<number> {
    return (this.count.get(scope, scopeId, now) as { n: number }).n;
  }

  addContextWatcher(a: ContextAddress, agentId: string, at: string): Promise<boolean> {
    return this.batcher.run(() => {
      this.watcherMemo?.clear();
      return this.addWatcher.run(a.scope, a.scopeId, a.key, agentId, at).changes > 0;
    });
  }

  removeContextWatcher(a: ContextAddress, agentId: string): Promise<boolean> {
    return this.batcher.run(() => {
      this.watcherMemo?.clear();
      return this.removeWatcher.run(a.scope, a.scopeId, a.key, agentId).changes > 0;
    });
  }

  /** The agents watching this key or its whole scope ('*'), by id; a fresh array each call. */
  async contextWatchers(a: ContextAddress): Promise<string[]> {
    const memo = this.watcherMemo;
    const memoKey = memo ? `${a.scope}\u0000${a.scopeId}\u0000${a.key}` : '';
    let agents = memo?.get(memoKey);
    if (!agents) {
      const rows = this.watchers.all(a.scope, a.scopeId, a.key) as Array<{ agent_id: string }>;
      agents = rows.map((r) => r.agent_id);
      if (!memo) return agents;
      if (memo.size >= WATCHER_MEMO_MAX) memo.clear();
      memo.set(memoKey, agents);
    }
    return agents.slice();
  }
}
