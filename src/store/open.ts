/**
 * Which store a hub uses: `--db` / `SWITCHBOARD_DB` holding a `postgres://` (or `postgresql://`) URL
 * means PostgreSQL (cluster mode); anything else is a SQLite file path (the default, one machine).
 */
import { describeDb, isPostgresUrl } from '../core/db-url.js';
import { HubError } from '../core/errors.js';
import { PostgresStore } from './postgres/index.js';
import { SqliteStore } from './sqlite/index.js';
import type { Store } from './types.js';

export { describeDb, isPostgresUrl } from '../core/db-url.js';

export type StoreKind = 'sqlite' | 'postgres';

export const storeKind = (db: string): StoreKind => (isPostgresUrl(db) ? 'postgres' : 'sqlite');

/** `exclusive`: the caller holds the hub lock of the SQLite file (no other connection writes it). */
export async function openStore(
  db: string,
  opts: { applicationName?: string; exclusive?: boolean } = {},
): Promise<Store> {
  if (!isPostgresUrl(db)) return new SqliteStore(db, { exclusive: opts.exclusive });
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
