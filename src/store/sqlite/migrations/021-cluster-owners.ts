/**
 * Schema version 21: the owner columns cluster mode uses (the PostgreSQL schema has them too, so
 * both stores keep one record shape): the node that spawned an instance, and the node running a
 * workflow run and until when its lease holds. On one machine they stay empty.
 * Once shipped, never edit it — add a new version.
 */
import type { Migration } from '../migrations.js';

export const migration: Migration | null = {
  version: 21,
  name: 'cluster owners: the node of an instance, the node and lease of a workflow run',
  sql: `
    ALTER TABLE instances ADD COLUMN node_id TEXT;
    ALTER TABLE workflow_runs ADD COLUMN node_id TEXT;
    ALTER TABLE workflow_runs ADD COLUMN lease_expires_at TEXT;
  `,
};
