/**
 * Counting a hub's stored rows in tests, whichever store it runs on (SQLite or PostgreSQL: the
 * tables have the same names in both). Table and condition are the test's own constant text.
 */
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
