/**
 * Schema version 23: each agent's status as last published in `agent.status` events, and since when it holds, so
 * a status change is decided in the store (src/store/sqlite/agents.ts) and published once, however
 * many hub processes note it. The PostgreSQL schema has the same columns (its version 7).
 * Once shipped, never edit it — add a new version.
 */
import type { Migration } from '../migrations.js';

export const migration: Migration | null = {
  version: 23,
  name: 'agents: status as last published, and since when',
  sql: `
    ALTER TABLE agents ADD COLUMN published_status TEXT;
    ALTER TABLE agents ADD COLUMN published_status_since TEXT;
  `,
};
