/** Schema version 5: leases. Null until it ships; once shipped, never edit it — add a new version. */
import type { Migration } from '../migrations.js';

export const migration: Migration | null = {
  version: 5,
  name: 'file leases: glob patterns held exclusively or shared, with expiry',
  sql: `
    CREATE TABLE leases (
      id TEXT PRIMARY KEY,
      project TEXT NOT NULL,
      holder TEXT NOT NULL,
      mode TEXT NOT NULL,
      patterns TEXT NOT NULL,
      reason TEXT,
      ttl_seconds INTEGER NOT NULL,
      acquired_at TEXT NOT NULL,
      renewed_at TEXT NOT NULL,
      expires_at TEXT NOT NULL
    );
    CREATE INDEX leases_project ON leases(project, expires_at);
    CREATE INDEX leases_holder ON leases(holder);
    CREATE INDEX leases_expiry ON leases(expires_at);
  `,
};
