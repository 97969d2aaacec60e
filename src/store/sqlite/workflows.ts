/** SQLite implementation of WorkflowStore. Reads run at once; writes go through the group-commit batcher. */
import type { Database } from 'better-sqlite3';
import type { WorkflowStore } from '../workflows.js';
import type { WriteBatcher } from './batcher.js';

export class SqliteWorkflowStore implements WorkflowStore {
  constructor(
    readonly db: Database,
    readonly batcher: WriteBatcher,
  ) {}
}
