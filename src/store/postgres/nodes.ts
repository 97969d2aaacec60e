/**
 * The `nodes` table (schema version 5): one row per running hub node, its heartbeat set by the
 * database's clock, so liveness is judged by one clock whatever the nodes' own say. Every statement
 * is a single-row upsert or delete: safe with any number of nodes at once.
 */
import type { NodeRecord, NodeStore } from '../nodes.js';
import type { PgDatabase } from './database.js';

interface NodeRow {
  id: string;
  url: string | null;
  host: string;
  pid: number;
  version: string;
  store: NodeRecord['store'];
  started_at: string;
  heartbeat_at: string;
}

const fromRow = (r: NodeRow): NodeRecord => ({
  id: r.id,
  url: r.url,
  host: r.host,
  pid: r.pid,
  version: r.version,
  store: r.store,
  startedAt: r.started_at,
  heartbeatAt: r.heartbeat_at,
});

export class PgNodeStore implements NodeStore {
  constructor(private readonly db: PgDatabase) {}

  async heartbeat(n: Omit<NodeRecord, 'heartbeatAt'>): Promise<void> {
    await this.db.query(
      `INSERT INTO nodes (id, url, host, pid, version, store, started_at, heartbeat_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz, now())
       ON CONFLICT (id) DO UPDATE SET url = EXCLUDED.url, heartbeat_at = now()`,
      [n.id, n.url, n.host, n.pid, n.version, n.store, n.startedAt],
    );
  }

  async live(withinMs: number): Promise<NodeRecord[]> {
    const rows = await this.db.query<NodeRow>(
      `SELECT id, url, host, pid, version, store, started_at, heartbeat_at FROM nodes
        WHERE heartbeat_at > now() - make_interval(secs => $1)
        ORDER BY started_at, id`,
      [withinMs / 1000],
    );
    return rows.map(fromRow);
  }

  async find(id: string): Promise<NodeRecord | null> {
    const [row] = await this.db.query<NodeRow>(
      `SELECT id, url, host, pid, version, store, started_at, heartbeat_at FROM nodes WHERE id = $1`,
      [id],
    );
    return row ? fromRow(row) : null;
  }

  async remove(id: string): Promise<void> {
    await this.db.query('DELETE FROM nodes WHERE id = $1', [id]);
  }

  async forget(olderThanMs: number): Promise<number> {
    const rows = await this.db.query(
      `DELETE FROM nodes WHERE heartbeat_at < now() - make_interval(secs => $1) RETURNING id`,
      [olderThanMs / 1000],
    );
    return rows.length;
  }
}
