/**
 * PostgreSQL for tests: a fresh database per caller on the run's throwaway server
 * (test/setup/postgres.ts), dropped again when done.
 */
import { inject } from 'vitest';
import pg from 'pg';
import type { PgDatabase } from '../../src/store/postgres/database.js';
import { PgMessages } from '../../src/store/postgres/messages.js';

/** True when the run has a PostgreSQL server (always under CI=true). */
export const hasPostgres = (): boolean => inject('pgServerUrl') !== '';

/** Whether this run's hubs use PostgreSQL (`SWITCHBOARD_TEST_STORE=postgres`). */
export const testStoreIsPostgres = (): boolean => process.env.SWITCHBOARD_TEST_STORE === 'postgres';

let counter = 0;

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: inject('pgServerUrl') });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const base = inject('pgServerUrl');
  if (!base) throw new Error('this run has no PostgreSQL server (apt-get install -y postgresql)');
  const name = `t_${process.pid}_${Date.now().toString(36)}_${++counter}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/**
 * The store's message writes with their send statement run on `client` (inside a transaction the
 * test began and ends), instead of committing on their own: a send held open before COMMIT.
 */
export function messagesOnClient(direct: PgDatabase, client: pg.PoolClient): PgMessages {
  return new PgMessages({
    pool: direct.pool,
    reader: direct.reader,
    statement: async (sql: string, params: unknown[]) => (await client.query(sql, params)).rows,
  } as unknown as PgDatabase);
}
