/** Prepared statements for SQL built at run time, prepared once per distinct text. */
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
