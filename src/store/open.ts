/**
 * Which store a hub uses: `--db` / `SWITCHBOARD_DB` holding a `postgres://` (or `postgresql://`) URL
 * means PostgreSQL (cluster mode); anything else is a SQLite file path (the default, one machine).
 */
import { HubError } from '../core/errors.js';
import { PostgresStore } from './postgres/index.js';
import { SqliteStore } from './sqlite/index.js';
import type { Store } from './types.js';

export type StoreKind = 'sqlite' | 'postgres';

export const isPostgresUrl = (db: string): boolean => /^postgres(ql)?:\/\//i.test(db);

export const storeKind = (db: string): StoreKind => (isPostgresUrl(db) ? 'postgres' : 'sqlite');

/** The database named for people and logs: a URL without its password (and without query options). */
export function describeDb(db: string): string {
  if (!isPostgresUrl(db)) return db;
  try {
    const u = new URL(db);
    if (u.password) u.password = '***';
    u.search = '';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

export async function openStore(db: string, opts: { applicationName?: string } = {}): Promise<Store> {
  if (!isPostgresUrl(db)) return new SqliteStore(db);
  try {
    new URL(db);
  } catch {
    throw new HubError(
      'invalid_input',
      `--db ${describeDb(db)} is not a valid PostgreSQL URL; write postgres://user[:password]@host[:port]/database`,
    );
  }
  try {
    return await PostgresStore.open(db, opts);
  } catch (err) {
    if (err instanceof HubError) throw err;
    const reason = (err as Error).message.replaceAll(db, describeDb(db));
    throw new HubError('unavailable', `Cannot open the PostgreSQL database ${describeDb(db)}: ${reason}`);
  }
}
