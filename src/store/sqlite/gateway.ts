/** SQLite implementation of GatewayStore. Reads run at once; writes go through the group-commit batcher. */
import type { Database } from 'better-sqlite3';
import type { GatewayStore } from '../gateway.js';
import type { WriteBatcher } from './batcher.js';

export class SqliteGatewayStore implements GatewayStore {
  constructor(
    readonly db: Database,
    readonly batcher: WriteBatcher,
  ) {}
}
