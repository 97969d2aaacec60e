/** Schema version 8: gateway. Once shipped, never edit it — add a new version. */
import type { Migration } from '../migrations.js';

export const migration: Migration | null = {
  version: 8,
  name: 'gateway: downstream MCP servers added at run time; approvals of held calls',
  sql: `
    CREATE TABLE gateway_servers (
      name TEXT PRIMARY KEY,
      spec TEXT NOT NULL,
      created_at TEXT NOT NULL,
      created_by TEXT
    ) WITHOUT ROWID;
    CREATE TABLE gateway_approvals (
      id TEXT PRIMARY KEY,
      tool TEXT NOT NULL,
      server TEXT NOT NULL,
      args TEXT NOT NULL,
      rule TEXT,
      correlation_id TEXT NOT NULL,
      requested_by TEXT NOT NULL,
      requested_at TEXT NOT NULL,
      expires_at TEXT NOT NULL,
      status TEXT NOT NULL,
      decided_by TEXT,
      decided_at TEXT,
      reason TEXT
    ) WITHOUT ROWID;
    CREATE INDEX gateway_approvals_status ON gateway_approvals (status, id);
  `,
};
