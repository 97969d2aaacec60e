#!/usr/bin/env node
/* global process, console */
/**
 * `npm test`'s second pass: the hub-level suite again with every test hub on its own PostgreSQL
 * database (SWITCHBOARD_TEST_STORE=postgres). The store conformance tests and the unit tests ran
 * already in the first pass (the conformance tests on both stores). Without PostgreSQL on this
 * machine the pass is skipped with a note, except under CI=true, where it must run.
 */
import { spawnSync } from 'node:child_process';
import { findPostgresBinaries } from '../dist/src/store/postgres/throwaway.js';

const ci = process.env.CI === 'true' || process.env.CI === '1';
if (!findPostgresBinaries() && !ci) {
  console.warn(
    '[switchboard tests] no PostgreSQL here: the PostgreSQL pass is skipped (apt-get install -y postgresql)',
  );
  process.exit(0);
}
const vitest = spawnSync(
  process.execPath,
  ['node_modules/vitest/vitest.mjs', 'run', 'test/', '--exclude', 'test/store/**', ...process.argv.slice(2)],
  { stdio: 'inherit', env: { ...process.env, SWITCHBOARD_TEST_STORE: 'postgres' } },
);
process.exit(vitest.status ?? 1);
