/**
 * The PostgreSQL schema, versioned apart from SQLite's (the two dialects differ; the records they
 * return do not). Append new versions; never edit one that has shipped. Several nodes may start at
 * once: the runner takes a transaction-scoped advisory lock, so one applies and the others wait and
 * then find nothing left to do.
 */
import type { PgDatabase } from './database.js';
import { migration as v1 } from './migrations/001-messaging.js';
import { migration as v2 } from './migrations/002-coordination.js';
import { migration as v3 } from './migrations/003-runtime.js';
import { migration as v4 } from './migrations/004-analytics.js';
import { migration as v5 } from './migrations/005-cluster.js';
import { migration as v6 } from './migrations/006-node-states.js';
import { migration as v7 } from './migrations/007-published-status.js';
import { migration as v8 } from './migrations/008-no-sender-index.js';

export interface PgMigration {
  version: number;
  name: string;
  sql: string;
}

export const pgMigrations: PgMigration[] = [v1, v2, v3, v4, v5, v6, v7, v8].filter(
  (m): m is PgMigration => m !== null,
);

/** An arbitrary constant naming the migration lock (advisory locks take a 64-bit key). */
const MIGRATION_LOCK = 7_700_001;

export async function migrate(db: PgDatabase): Promise<number[]> {
  return db.tx(async (c) => {
    await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await c.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set(
      (await c.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map(
        (r) => r.version,
      ),
    );
    const applied: number[] = [];
    for (const m of [...pgMigrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      await c.query(m.sql);
      await c.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}
