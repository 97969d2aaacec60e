/**
 * The `nodes` table (schema versions 5 and 6): one row per hub node, its heartbeat set by the
 * database's clock, so liveness is judged by one clock whatever the nodes' own say. A node closing
 * on purpose sets `left_at` (its row stays: it is "left", not dead); its next start clears it. Every
 * statement is a single-row upsert or update, or an idempotent delete: safe with any number of nodes.
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
  left_at: string | null;
}

const COLUMNS = 'id, url, host, pid, version, store, started_at, heartbeat_at, left_at';

const fromRow = (r: NodeRow): NodeRecord => ({
  id: r.id,
  url: r.url,
  host: r.host,
  pid: r.pid,
  version: r.version,
  store: r.store,
  startedAt: r.started_at,
  heartbeatAt: r.heartbeat_at,
  leftAt: r.left_at,
});

export class PgNodeStore implements NodeStore {
  constructor(private readonly db: PgDatabase) {}

  /** A restarted node (same id) replaces its previous run's process, version and start, and is back. */
  async heartbeat(n: Omit<NodeRecord, 'heartbeatAt' | 'leftAt'>): Promise<void> {
    await this.db.query(
      `INSERT INTO nodes (id, url, host, pid, version, store, started_at, heartbeat_at, left_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz, now(), NULL)
       ON CONFLICT (id) DO UPDATE SET url = EXCLUDED.url, host = EXCLUDED.host, pid = EXCLUDED.pid,
         version = EXCLUDED.version, store = EXCLUDED.store, started_at = EXCLUDED.started_at,
         heartbeat_at = now(), left_at = NULL`,
      [n.id, n.url, n.host, n.pid, n.version, n.store, n.startedAt],
    );
  }

  async live(withinMs: number): Promise<NodeRecord[]> {
    const rows = await this.db.query<NodeRow>(
      `SELECT ${COLUMNS} FROM nodes
        WHERE heartbeat_at > now() - make_interval(secs => $1) AND left_at IS NULL
        ORDER BY started_at, id`,
      [withinMs / 1000],
    );
    return rows.map(fromRow);
  }

  async left(withinMs?: number): Promise<NodeRecord[]> {
    const rows = await this.db.query<NodeRow>(
      `SELECT ${COLUMNS} FROM nodes
        WHERE left_at IS NOT NULL AND ($1::float8 IS NULL OR left_at > now() - make_interval(secs => $1))
        ORDER BY started_at, id`,
      [withinMs === undefined ? null : withinMs / 1000],
    );
    return rows.map(fromRow);
  }

  async find(id: string): Promise<NodeRecord | null> {
    const [row] = await this.db.query<NodeRow>(`SELECT ${COLUMNS} FROM nodes WHERE id = $1`, [id]);
    return row ? fromRow(row) : null;
  }

  async leave(id: string): Promise<void> {
    await this.db.query('UPDATE nodes SET left_at = now() WHERE id = $1', [id]);
  }

  async forget(olderThanMs: number): Promise<number> {
    const rows = await this.db.query(
      `DELETE FROM nodes WHERE heartbeat_at < now() - make_interval(secs => $1) RETURNING id`,
      [olderThanMs / 1000],
    );
    return rows.length;
  }
}
