/**
 * Schema version 22: the hub node holding each gateway call held for approval (`node_id`), so a
 * cluster can end the pending approvals of a node that stopped (the PostgreSQL schema has it too, so
 * both stores keep one record shape). On one machine it names the one node.
 * Once shipped, never edit it — add a new version.
 */
import type { Migration } from '../migrations.js';

export const migration: Migration | null = {
  version: 22,
  name: 'approvals: the node holding the call',
  sql: `
    ALTER TABLE gateway_approvals ADD COLUMN node_id TEXT;
  `,
};
