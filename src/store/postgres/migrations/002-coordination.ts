/**
 * PostgreSQL schema version 2 (coordination): tasks and their attempt history, shared context with
 * its change history and watchers, file leases, votes and ballots — the tables of SQLite's versions
 * 3–6 and 14 (thread ids), with the same indexes. Once shipped, never edit it — add a new version.
 *
 * Ids and keys that lists are ordered by are `COLLATE "C"` so PostgreSQL sorts them byte by byte,
 * as SQLite does, whatever the database's default collation.
 */
import type { PgMigration } from '../migrations.js';

export const migration: PgMigration | null = {
  version: 2,
  name: 'coordination: tasks and attempts, shared context, file leases, votes and ballots',
  sql: `
    CREATE TABLE tasks (
      id text COLLATE "C" PRIMARY KEY,
      title text NOT NULL,
      description text,
      input text NOT NULL,
      required_capabilities text NOT NULL,
      priority integer NOT NULL,
      deadline timestamptz,
      parent_id text COLLATE "C" REFERENCES tasks(id),
      thread_id text,
      child_failure_policy text NOT NULL,
      project text NOT NULL,
      status text NOT NULL,
      created_by text NOT NULL,
      assignee text,
      attempts integer NOT NULL,
      max_attempts integer NOT NULL,
      lease_seconds integer NOT NULL,
      lease_expires_at timestamptz,
      progress double precision,
      progress_note text,
      question text,
      answer text,
      result text,
      artifacts text NOT NULL,
      failure_reason text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      claimed_at timestamptz,
      started_at timestamptz,
      finished_at timestamptz,
      version integer NOT NULL
    );
    CREATE INDEX tasks_open ON tasks(project, priority DESC, id) WHERE status = 'open';
    CREATE INDEX tasks_assignee ON tasks(assignee, status);
    CREATE INDEX tasks_parent ON tasks(parent_id) WHERE parent_id IS NOT NULL;
    CREATE INDEX tasks_creator ON tasks(created_by, id);
    CREATE INDEX tasks_thread ON tasks(thread_id) WHERE thread_id IS NOT NULL;
    CREATE INDEX tasks_lease ON tasks(lease_expires_at) WHERE status IN ('claimed', 'in_progress');
    CREATE INDEX tasks_deadline ON tasks(deadline)
      WHERE status IN ('open', 'claimed', 'in_progress', 'input_required') AND deadline IS NOT NULL;

    -- one row per claim: who took the task, when work started and ended, and how it ended
    CREATE TABLE task_attempts (
      task_id text COLLATE "C" NOT NULL REFERENCES tasks(id),
      attempt integer NOT NULL,
      agent_id text COLLATE "C" NOT NULL,
      created_by text NOT NULL,
      claimed_at timestamptz NOT NULL,
      started_at timestamptz,
      ended_at timestamptz,
      outcome text,
      PRIMARY KEY (task_id, attempt)
    );
    CREATE INDEX task_attempts_agent ON task_attempts(agent_id, outcome);

    CREATE TABLE context_entries (
      scope text NOT NULL,
      scope_id text COLLATE "C" NOT NULL,
      key text COLLATE "C" NOT NULL,
      value text NOT NULL,
      version integer NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      updated_by text,
      expires_at timestamptz,
      PRIMARY KEY (scope, scope_id, key)
    );
    CREATE INDEX context_entries_expiry ON context_entries(expires_at) WHERE expires_at IS NOT NULL;

    CREATE TABLE context_history (
      seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      scope text NOT NULL,
      scope_id text COLLATE "C" NOT NULL,
      key text COLLATE "C" NOT NULL,
      version integer NOT NULL,
      change text NOT NULL,
      value text,
      changed_by text,
      changed_at timestamptz NOT NULL,
      expires_at timestamptz
    );
    CREATE INDEX context_history_key ON context_history(scope, scope_id, key, seq);

    CREATE TABLE context_watchers (
      scope text NOT NULL,
      scope_id text COLLATE "C" NOT NULL,
      key text COLLATE "C" NOT NULL,
      agent_id text COLLATE "C" NOT NULL,
      created_at timestamptz NOT NULL,
      PRIMARY KEY (scope, scope_id, key, agent_id)
    );
    CREATE INDEX context_watchers_agent ON context_watchers(agent_id);

    CREATE TABLE leases (
      id text COLLATE "C" PRIMARY KEY,
      project text NOT NULL,
      holder text NOT NULL,
      mode text NOT NULL,
      patterns text NOT NULL,
      reason text,
      ttl_seconds integer NOT NULL,
      acquired_at timestamptz NOT NULL,
      renewed_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL
    );
    CREATE INDEX leases_project ON leases(project, expires_at);
    CREATE INDEX leases_holder ON leases(holder);
    CREATE INDEX leases_expiry ON leases(expires_at);

    CREATE TABLE votes (
      id text COLLATE "C" PRIMARY KEY,
      proposal text NOT NULL,
      options text NOT NULL,
      rule text NOT NULL,
      quorum integer,
      created_by text NOT NULL,
      project text NOT NULL,
      thread_id text,
      created_at timestamptz NOT NULL,
      deadline timestamptz NOT NULL,
      status text NOT NULL,
      result text,
      reason text,
      closed_at timestamptz
    );
    CREATE INDEX votes_open_deadline ON votes(deadline) WHERE status = 'open';
    CREATE INDEX votes_created_by ON votes(created_by, id);
    CREATE INDEX votes_thread ON votes(thread_id) WHERE thread_id IS NOT NULL;
    -- one ballot row per participant, made with the vote: "one vote per agent" is this key plus the
    -- conditional update that fills it (option IS NULL) under the vote's row lock
    CREATE TABLE vote_ballots (
      vote_id text COLLATE "C" NOT NULL,
      agent_id text COLLATE "C" NOT NULL,
      position integer NOT NULL,
      option text,
      comment text,
      cast_at timestamptz,
      PRIMARY KEY (vote_id, agent_id)
    );
    CREATE INDEX vote_ballots_agent ON vote_ballots(agent_id, vote_id);
  `,
};
