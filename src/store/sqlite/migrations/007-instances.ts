/** Schema version 7: instances. Once shipped, never edit it — add a new version. */
import type { Migration } from '../migrations.js';

export const migration: Migration | null = {
  version: 7,
  name: 'instances: supervised agent processes, their process groups, usage and output events',
  sql: `
    CREATE TABLE instances (
      id TEXT PRIMARY KEY,
      agent_id TEXT NOT NULL,
      owner TEXT,
      parent_id TEXT,
      root_id TEXT NOT NULL,
      name TEXT NOT NULL,
      adapter TEXT NOT NULL,
      role TEXT NOT NULL,
      model TEXT,
      workspace TEXT NOT NULL,
      worktree TEXT NOT NULL DEFAULT 'null',
      status TEXT NOT NULL,
      reason TEXT,
      pid INTEGER,
      pgid INTEGER,
      session_id TEXT,
      limits TEXT NOT NULL,
      usage TEXT NOT NULL,
      tokens INTEGER NOT NULL,
      cost_usd REAL NOT NULL,
      turns INTEGER NOT NULL,
      exit_code INTEGER,
      exit_signal TEXT,
      created_at TEXT NOT NULL,
      last_event_at TEXT,
      ended_at TEXT
    );
    CREATE INDEX instances_live ON instances(status);
    CREATE INDEX instances_parent ON instances(parent_id);
    CREATE INDEX instances_root ON instances(root_id);
    CREATE TABLE instance_events (
      seq INTEGER PRIMARY KEY,
      instance_id TEXT NOT NULL,
      kind TEXT NOT NULL,
      at TEXT NOT NULL,
      data TEXT NOT NULL
    );
    CREATE INDEX instance_events_by ON instance_events(instance_id, seq);
  `,
};
