/**
 * PostgreSQL schema version 5 (cluster). Once shipped, never edit it — add a new version.
 *
 * - `bus_events`: the cluster bus's outbox (src/bus/cluster.ts). Every node appends the events it
 *   publishes and reads the other nodes' rows back in (xid, id) order below the commit-safe horizon;
 *   `xid` is the writing transaction's id (xid8, never wraps), which is what makes that order safe.
 *   Rows are pruned after a few minutes: they are pushes, never the only copy of anything.
 * - `nodes`: one row per running hub node, refreshed by its heartbeat (src/store/postgres/nodes.ts).
 */
import type { PgMigration } from '../migrations.js';

export const migration: PgMigration | null = {
  version: 5,
  name: 'cluster',
  sql: `
CREATE TABLE bus_events (
  id bigserial PRIMARY KEY,
  xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  origin text NOT NULL,
  channel text NOT NULL,
  event text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bus_events_order ON bus_events (xid, id);
CREATE INDEX bus_events_created ON bus_events (created_at);

CREATE TABLE nodes (
  id text PRIMARY KEY,
  url text,
  host text NOT NULL,
  pid integer NOT NULL,
  version text NOT NULL,
  store text NOT NULL,
  started_at timestamptz NOT NULL,
  heartbeat_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX nodes_heartbeat ON nodes (heartbeat_at);
`,
};
