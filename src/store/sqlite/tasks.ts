/** SQLite implementation of TaskStore. Reads run at once; writes go through the group-commit batcher. */
import type { Database } from 'better-sqlite3';
import type { TaskStore } from '../tasks.js';
import type { WriteBatcher } from './batcher.js';

export class SqliteTaskStore implements TaskStore {
  constructor(
    readonly db: Database,
    readonly batcher: WriteBatcher,
  ) {}
}
