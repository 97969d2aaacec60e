/** SQLite implementation of InstanceStore. Reads run at once; writes go through the group-commit batcher. */
import type { Database } from 'better-sqlite3';
import type { InstanceStore } from '../instances.js';
import type { WriteBatcher } from './batcher.js';

export class SqliteInstanceStore implements InstanceStore {
  constructor(
    readonly db: Database,
    readonly batcher: WriteBatcher,
  ) {}
}
