/** SQLite implementation of GatewayStore. Reads run at once; writes go through the group-commit batcher. */
import type { Database } from 'better-sqlite3';
import type { GatewayStore, StoredServer } from '../gateway.js';
import type { WriteBatcher } from './batcher.js';

interface ServerRow {
  name: string;
  spec: string;
  created_at: string;
  created_by: string | null;
}

export class SqliteGatewayStore implements GatewayStore {
  constructor(
    readonly db: Database,
    readonly batcher: WriteBatcher,
  ) {}

  async listServers(): Promise<StoredServer[]> {
    const rows = this.db.prepare('SELECT * FROM gateway_servers ORDER BY name').all() as ServerRow[];
    return rows.map((r) => ({
      name: r.name,
      spec: JSON.parse(r.spec),
      createdAt: r.created_at,
      createdBy: r.created_by,
    }));
  }

  addServer(s: StoredServer): Promise<boolean> {
    return this.batcher.run(
      () =>
        this.db
          .prepare(
            'INSERT INTO gateway_servers (name, spec, created_at, created_by) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO NOTHING',
          )
          .run(s.name, JSON.stringify(s.spec), s.createdAt, s.createdBy).changes === 1,
    );
  }

  removeServer(name: string): Promise<boolean> {
    return this.batcher.run(
      () => this.db.prepare('DELETE FROM gateway_servers WHERE name = ?').run(name).changes === 1,
    );
  }
}
