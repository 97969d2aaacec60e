/**
 * PostgreSQL schema version 6 (node states). Once shipped, never edit it — add a new version.
 *
 * - `nodes.left_at`: set when a node closes on purpose (SIGTERM, hub close). Its row stays, so the
 *   others tell "left" (it resumes its own suspended instances when it starts again) from "dead"
 *   (heartbeats stopped: its instances are taken over). Its next heartbeat clears it.
 * - `gateway_approvals.node_id`: the node holding a call held for approval, so the pending approvals
 *   of a node that stopped are ended at once instead of waiting for their timeout.
 */
import type { PgMigration } from '../migrations.js';

export const migration: PgMigration | null = {
  version: 6,
  name: 'node states',
  sql: `
ALTER TABLE nodes ADD COLUMN left_at timestamptz;
ALTER TABLE gateway_approvals ADD COLUMN node_id text;
CREATE INDEX gateway_approvals_pending_node ON gateway_approvals (node_id) WHERE status = 'pending';
`,
};
