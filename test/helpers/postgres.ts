/**
 * PostgreSQL for tests: a fresh database per caller on the run's throwaway server
 * (test/setup/postgres.ts), dropped again when done.
 */
import { inject } from 'vitest';
import pg from 'pg';

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
