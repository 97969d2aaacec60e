/**
 * PostgreSQL schema version 7 (published presence). Once shipped, never edit it — add a new version.
 *
 * Each agent's status as last published in `agent.status` events, and since when it holds: the nodes of a cluster
 * decide a status change here (a locked read and update, src/store/postgres/agents.ts), so the node
 * that records it publishes it and the others, noting the same change, do not. The same columns as
 * SQLite's version 23.
 */
import type { PgMigration } from '../migrations.js';

export const migration: PgMigration | null = {
  version: 7,
  name: 'agents: status as last published, and since when',
  sql: `
    ALTER TABLE agents ADD COLUMN published_status text;
    ALTER TABLE agents ADD COLUMN published_status_since timestamptz;
  `,
};
