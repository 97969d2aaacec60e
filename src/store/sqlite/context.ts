/** SQLite implementation of ContextStore. Reads run at once; writes go through the group-commit batcher. */
import type { Database } from 'better-sqlite3';
import type { ContextStore } from '../context.js';
import type { WriteBatcher } from './batcher.js';

export class SqliteContextStore implements ContextStore {
  constructor(
    readonly db: Database,
    readonly batcher: WriteBatcher,
  ) {}
}
