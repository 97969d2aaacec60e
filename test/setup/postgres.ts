/**
 * Vitest global setup: one throwaway PostgreSQL server for the whole run (each test makes its own
 * database on it). Under CI=true a machine without PostgreSQL fails here instead of skipping tests;
 * elsewhere the PostgreSQL tests are skipped with a note on how to get them.
 */
import type { TestProject } from 'vitest/node';
import { findPostgresBinaries, startThrowawayPostgres } from '../../src/store/postgres/throwaway.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The throwaway server's base URL, or '' when this machine has no PostgreSQL. */
    pgServerUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const ci = process.env.CI === 'true' || process.env.CI === '1';
  const wanted = process.env.SWITCHBOARD_TEST_STORE === 'postgres';
  if (!findPostgresBinaries()) {
    if (ci || wanted) {
      throw new Error(
        'The PostgreSQL tests need PostgreSQL: apt-get install -y postgresql (or set SWITCHBOARD_PG_BIN)',
      );
    }
    console.warn(
      '[switchboard tests] no PostgreSQL here: the PostgreSQL tests are skipped (apt-get install -y postgresql)',
    );
    project.provide('pgServerUrl', '');
    return;
  }
  const server = await startThrowawayPostgres();
  project.provide('pgServerUrl', server.url);
  return async () => {
    await server.stop();
  };
}
