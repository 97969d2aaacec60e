/**
 * Prepared statements for SQL built at run time, prepared once per distinct text.
 *
 * A limit taken from the caller is written `LIMIT (? + 0)`, not `LIMIT ?`, in the hot reads (inbox,
 * threads, search, context lists and history, task and agent lists, instance events). The SQLite bundled
 * with better-sqlite3 (3.53) reads the value bound to a bare `LIMIT ?` while planning
 * (`computeLimitRegisters` → `sqlite3ExprIsInteger` → `sqlite3VdbeSetVarmask`), and binding that
 * parameter again, even to the same value, expires the statement: better-sqlite3 binds on every run,
 * so every run was a full re-prepare (~40-100 µs for a join). `(? + 0)` is an expression SQLite does not
 * read; the plans are the same (bench/sqlite-limit.ts prints both with realistic data).
 */
import type { Database, Statement } from 'better-sqlite3';

export class StatementCache {
  private readonly cache = new Map<string, Statement>();

  constructor(
    private readonly db: Database,
    private readonly max = 200,
  ) {}

  get(sql: string): Statement {
    let stmt = this.cache.get(sql);
    if (!stmt) {
      if (this.cache.size >= this.max) this.cache.clear();
      stmt = this.db.prepare(sql);
      this.cache.set(sql, stmt);
    }
    return stmt;
  }
}
