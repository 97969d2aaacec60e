/**
 * The store conformance harness: the same tests run against a SQLite file and a PostgreSQL database,
 * so both stores keep one behaviour. `describeStores('tasks', (open) => { … })` defines a suite per
 * store; `open()` returns a fresh, migrated store that is closed (and removed) after the test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe } from 'vitest';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { createTestDatabase, hasPostgres } from './postgres.js';

export type StoreKind = 'sqlite' | 'postgres';

export interface OpenedStore {
  store: Store;
  /** Another store on the same database (a second node), closed with the first. */
  peer(): Promise<Store>;
}

export function describeStores(
  name: string,
  body: (open: () => Promise<OpenedStore>, kind: StoreKind) => void,
) {
  for (const kind of ['sqlite', 'postgres'] as const) {
    describe.runIf(kind === 'sqlite' || hasPostgres())(`${name} [${kind}]`, () => {
      const cleanups: Array<() => Promise<void> | void> = [];
      afterEach(async () => {
        for (const fn of cleanups.splice(0).reverse()) await fn();
      });
      const open = async (): Promise<OpenedStore> => {
        if (kind === 'sqlite') {
          const dir = mkdtempSync(join(tmpdir(), 'switchboard-store-'));
          const file = join(dir, 'switchboard.db');
          const store = new SqliteStore(file);
          cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
          cleanups.push(() => store.close());
          return {
            store,
            async peer() {
              const other = new SqliteStore(file);
              cleanups.push(() => other.close());
              return other;
            },
          };
        }
        const db = await createTestDatabase();
        cleanups.push(() => db.drop());
        const store = await PostgresStore.open(db.url);
        cleanups.push(() => store.close());
        return {
          store,
          async peer() {
            const other = await PostgresStore.open(db.url);
            cleanups.push(() => other.close());
            return other;
          },
        };
      };
      body(open, kind);
    });
  }
}
