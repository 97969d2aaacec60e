/** Schema version 9: workflows. Once shipped, never edit it — add a new version. */
import type { Migration } from '../migrations.js';

export const migration: Migration | null = {
  version: 9,
  name: 'workflows: durable runs and the state of each of their steps',
  sql: `
    CREATE TABLE workflow_runs (
      id TEXT PRIMARY KEY,
      name TEXT,
      definition TEXT NOT NULL,
      inputs TEXT NOT NULL,
      status TEXT NOT NULL,
      started_by TEXT NOT NULL,
      agent_id TEXT,
      correlation_id TEXT NOT NULL,
      output TEXT,
      error TEXT,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      finished_at TEXT
    ) WITHOUT ROWID;
    CREATE INDEX workflow_runs_status ON workflow_runs (status, id);
    CREATE INDEX workflow_runs_agent ON workflow_runs (agent_id, id);
    CREATE TABLE workflow_steps (
      run_id TEXT NOT NULL,
      step_id TEXT NOT NULL,
      position INTEGER NOT NULL,
      parent TEXT,
      call TEXT,
      status TEXT NOT NULL,
      attempts INTEGER NOT NULL,
      output TEXT,
      error TEXT,
      started_at TEXT,
      finished_at TEXT,
      PRIMARY KEY (run_id, step_id)
    ) WITHOUT ROWID;
  `,
};
