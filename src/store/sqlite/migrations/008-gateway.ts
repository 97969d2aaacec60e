/** Schema version 8: gateway. Once shipped, never edit it — add a new version. */
import type { Migration } from '../migrations.js';

export const migration: Migration | null = {
  version: 8,
  name: 'gateway: downstream MCP servers added at run time',
  sql: `
    CREATE TABLE gateway_servers (
      name TEXT PRIMARY KEY,
      spec TEXT NOT NULL,
      created_at TEXT NOT NULL,
      created_by TEXT
    ) WITHOUT ROWID;
  `,
};
