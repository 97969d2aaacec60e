/** Schema version 4: context. Null until it ships; once shipped, never edit it — add a new version. */
import type { Migration } from '../migrations.js';

export const migration: Migration | null = {
  version: 4,
  name: 'shared context: scoped keys with versions and expiry, change history, watchers',
  sql: `
    CREATE TABLE context_entries (
      scope TEXT NOT NULL,
      scope_id TEXT NOT NULL,
      key TEXT NOT NULL,
      value TEXT NOT NULL,
      version INTEGER NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      updated_by TEXT,
      expires_at TEXT,
      PRIMARY KEY (scope, scope_id, key)
    ) WITHOUT ROWID;
    CREATE INDEX context_entries_expiry ON context_entries(expires_at) WHERE expires_at IS NOT NULL;

    CREATE TABLE context_history (
      seq INTEGER PRIMARY KEY,
      scope TEXT NOT NULL,
      scope_id TEXT NOT NULL,
      key TEXT NOT NULL,
      version INTEGER NOT NULL,
      change TEXT NOT NULL,
      value TEXT,
      changed_by TEXT,
      changed_at TEXT NOT NULL,
      expires_at TEXT
    );
    CREATE INDEX context_history_key ON context_history(scope, scope_id, key, seq);

    CREATE TABLE context_watchers (
      scope TEXT NOT NULL,
      scope_id TEXT NOT NULL,
      key TEXT NOT NULL,
      agent_id TEXT NOT NULL,
      created_at TEXT NOT NULL,
      PRIMARY KEY (scope, scope_id, key, agent_id)
    ) WITHOUT ROWID;
    CREATE INDEX context_watchers_agent ON context_watchers(agent_id);
  `,
};
