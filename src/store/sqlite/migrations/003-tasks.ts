/** Schema version 3: tasks. Once shipped, never edit it — add a new version. */
import type { Migration } from '../migrations.js';

export const migration: Migration | null = {
  version: 3,
  name: 'tasks and their attempt history (claims, outcomes, times: the analytics read these)',
  sql: `
    CREATE TABLE tasks (
      id TEXT PRIMARY KEY,
      title TEXT NOT NULL,
      description TEXT,
      input TEXT NOT NULL,
      required_capabilities TEXT NOT NULL,
      priority INTEGER NOT NULL,
      deadline TEXT,
      parent_id TEXT REFERENCES tasks(id),
      child_failure_policy TEXT NOT NULL,
      project TEXT NOT NULL,
      status TEXT NOT NULL,
      created_by TEXT NOT NULL,
      assignee TEXT,
      attempts INTEGER NOT NULL,
      max_attempts INTEGER NOT NULL,
      lease_seconds INTEGER NOT NULL,
      lease_expires_at TEXT,
      progress REAL,
      progress_note TEXT,
      question TEXT,
      answer TEXT,
      result TEXT,
      artifacts TEXT NOT NULL,
      failure_reason TEXT,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      claimed_at TEXT,
      started_at TEXT,
      finished_at TEXT,
      version INTEGER NOT NULL
    );
    CREATE INDEX tasks_open ON tasks(project, priority DESC, id) WHERE status = 'open';
    CREATE INDEX tasks_assignee ON tasks(assignee, status);
    CREATE INDEX tasks_parent ON tasks(parent_id) WHERE parent_id IS NOT NULL;
    CREATE INDEX tasks_creator ON tasks(created_by, id);
    CREATE INDEX tasks_lease ON tasks(lease_expires_at) WHERE status IN ('claimed', 'in_progress');
    -- the sweep's deadline scan: unfinished tasks with a deadline, soonest first
    CREATE INDEX tasks_deadline ON tasks(deadline)
      WHERE status IN ('open', 'claimed', 'in_progress', 'input_required') AND deadline IS NOT NULL;

    -- one row per claim: who took the task, when work started and ended, and how it ended
    CREATE TABLE task_attempts (
      task_id TEXT NOT NULL REFERENCES tasks(id),
      attempt INTEGER NOT NULL,
      agent_id TEXT NOT NULL,
      created_by TEXT NOT NULL,
      claimed_at TEXT NOT NULL,
      started_at TEXT,
      ended_at TEXT,
      outcome TEXT,
      PRIMARY KEY (task_id, attempt)
    ) WITHOUT ROWID;
    CREATE INDEX task_attempts_agent ON task_attempts(agent_id, outcome);
  `,
};
