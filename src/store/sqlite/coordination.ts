/** SQLite implementation of CoordinationStore. Reads run at once; writes go through the group-commit batcher. */
import type { Database } from 'better-sqlite3';
import type { CoordinationStore } from '../coordination.js';
import type { WriteBatcher } from './batcher.js';

export class SqliteCoordinationStore implements CoordinationStore {
  constructor(
    readonly db: Database,
    readonly batcher: WriteBatcher,
  ) {}
}
