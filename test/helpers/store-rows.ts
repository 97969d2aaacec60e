/**
 * Counting a hub's stored rows in tests, whichever store it runs on (SQLite or PostgreSQL: the
 * tables have the same names in both), and reading all it stores. Table and condition are the
 * test's own constant text.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import type { PostgresStore } from '../../src/store/postgres/index.js';
import type { TestHub } from './hub.js';

/** Every row of `table` matching `where`. */
export async function selectRows(
  hub: TestHub,
  table: string,
  where = '',
): Promise<Array<Record<string, unknown>>> {
  const sql = `SELECT * FROM ${table}${where ? ` WHERE ${where}` : ''}`;
  const store = hub.hub.store;
  if (store.kind === 'postgres') return (store as PostgresStore).db.query(sql);
  return (store as unknown as { db: Database }).db.prepare(sql).all() as Array<Record<string, unknown>>;
}

export async function countRows(hub: TestHub, table: string, where = ''): Promise<number> {
  const sql = `SELECT COUNT(*) AS n FROM ${table}${where ? ` WHERE ${where}` : ''}`;
  const store = hub.hub.store;
  if (store.kind === 'postgres') return Number((await (store as PostgresStore).db.query(sql))[0].n);
  return ((store as unknown as { db: Database }).db.prepare(sql).get() as { n: number }).n;
}

/** Messages and deliveries stored: a refused send must change neither. */
export async function storedMessages(hub: TestHub): Promise<{ messages: number; deliveries: number }> {
  return { messages: await countRows(hub, 'messages'), deliveries: await countRows(hub, 'deliveries') };
}

/**
 * Everything the hub's store holds, as text to search for what must never be stored (a secret):
 * on SQLite the database files' bytes (pages and WAL), on PostgreSQL every row of every table,
 * each table introduced by its name.
 */
export async function storedText(hub: TestHub): Promise<string> {
  const store = hub.hub.store;
  if (store.kind === 'postgres') {
    const db = (store as PostgresStore).db;
    const tables = await db.query(
      `SELECT table_name FROM information_schema.tables
        WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
    );
    const parts: string[] = [];
    for (const { table_name: name } of tables as Array<{ table_name: string }>) {
      const rows = await db.query(`SELECT * FROM "${name.replaceAll('"', '""')}"`);
      parts.push(`${name}\n${rows.map((r) => JSON.stringify(r)).join('\n')}`);
    }
    return parts.join('\n');
  }
  return readdirSync(hub.home)
    .filter((f) => /\.(db|sqlite)(-wal)?$|-wal$/.test(f))
    .map((f) => readFileSync(join(hub.home, f)).toString('latin1'))
    .join('');
}
