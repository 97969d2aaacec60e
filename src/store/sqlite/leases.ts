/** SQLite implementation of LeaseStore. Reads run at once; writes go through the group-commit batcher. */
import type { Database } from 'better-sqlite3';
import type { LeaseStore } from '../leases.js';
import type { WriteBatcher } from './batcher.js';

export class SqliteLeaseStore implements LeaseStore {
  constructor(
    readonly db: Database,
    readonly batcher: WriteBatcher,
  ) {}
}
