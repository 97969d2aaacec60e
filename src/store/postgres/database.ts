/**
 * The PostgreSQL connection pool and the one way to write: `tx(fn)`, a transaction that is retried
 * when PostgreSQL aborts it for a serialization failure or a deadlock (both mean "run me again"),
 * so callers on several nodes racing for the same rows never see those as errors.
 *
 * Values cross the boundary in the shapes the rest of the hub uses: `bigint` columns as numbers
 * (cursors and sequence numbers stay far below 2^53) and `timestamptz` as ISO-8601 strings with
 * milliseconds and a `Z`, exactly as `iso()` writes them, so both stores return the same records.
 */
import pg from 'pg';
import { HubError } from '../../core/errors.js';

const INT8 = 20;
const NUMERIC = 1700;
const TIMESTAMPTZ = 1184;

/** `2026-12-06 18:05:27.12+00` (the session runs in UTC) → `2026-12-06T18:05:27.120Z`. */
export function isoFromPg(text: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d+))?([+-]\d{2}(?::?\d{2})?)$/.exec(text);
  if (!m) return new Date(text).toISOString();
  const ms = (m[3] ?? '').padEnd(3, '0').slice(0, 3);
  if (m[4] === '+00' || m[4] === '+00:00') return `${m[1]}T${m[2]}.${ms}Z`;
  const offset = m[4].length === 3 ? `${m[4]}:00` : m[4].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  return new Date(`${m[1]}T${m[2]}.${ms}${offset}`).toISOString();
}

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8 || oid === NUMERIC) return (v: string) => Number(v);
    if (oid === TIMESTAMPTZ) return isoFromPg;
    return pg.types.getTypeParser(oid, format);
  },
} as unknown as pg.CustomTypesConfig;

/**
 * Input PostgreSQL cannot hold, as the hub's `invalid_input` rather than a failure: a NUL character
 * (`text` cannot store U+0000, SQLite can) and numbers beyond a column's range. Nothing was written:
 * the statement (and its transaction) failed whole.
 */
function inputError(err: unknown): HubError | undefined {
  const code = (err as { code?: string }).code;
  if (code === '22021' || code === '22P05') {
    return new HubError(
      'invalid_input',
      'Text with a NUL character (\\u0000) cannot be stored: remove it and send again',
    );
  }
  if (code === '22003')
    return new HubError('invalid_input', 'A number is out of the range this field can store');
  return undefined;
}

/** SQLSTATEs that mean "this transaction lost a race; run it again". */
const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 8;

export type Queryable = Pick<pg.PoolClient, 'query'>;

export interface PgDatabaseOptions {
  /** Connections in this node's pool. */
  max?: number;
  /** Shown in `pg_stat_activity` (the node id, so a DBA can tell the nodes apart). */
  applicationName?: string;
}

export class PgDatabase {
  readonly pool: pg.Pool;

  constructor(
    readonly url: string,
    opts: PgDatabaseOptions = {},
  ) {
    this.pool = new pg.Pool({
      connectionString: url,
      max: opts.max ?? 10,
      types,
      application_name: opts.applicationName ?? 'switchboard',
      options: '-c TimeZone=UTC -c DateStyle=ISO',
    });
    // An idle connection the server dropped must not take the process down; the pool replaces it.
    this.pool.on('error', () => {});
  }

  /**
   * The pool as a `Queryable`, for helpers shared with transactions (`read(c, id)`) when they run
   * outside one: one statement, with the same error mapping as `query` (a NUL in an id is
   * `invalid_input`, not a failure).
   */
  readonly reader: Queryable = {
    query: (async (sql: string, params?: unknown[]) => {
      try {
        return await this.pool.query(sql, params);
      } catch (err) {
        throw inputError(err) ?? err;
      }
    }) as Queryable['query'],
  };

  /** One statement outside any transaction (reads, and single-statement writes). */
  async query<R extends pg.QueryResultRow = any>(sql: string, params: unknown[] = []): Promise<R[]> {
    try {
      return (await this.pool.query<R>(sql, params)).rows;
    } catch (err) {
      throw inputError(err) ?? err;
    }
  }

  /**
   * One statement that is its own transaction (a chain of data-modifying CTEs, say: atomic, one
   * round trip, its row locks released as it commits in the server), rerun when PostgreSQL reports a
   * lost race (a failed statement changed nothing, so running it again is safe).
   */
  async statement<R extends pg.QueryResultRow = any>(sql: string, params: unknown[] = []): Promise<R[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.pool.query<R>(sql, params)).rows;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code && RETRYABLE.has(code) && attempt < MAX_ATTEMPTS) {
          await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
          continue;
        }
        throw inputError(err) ?? err;
      }
    }
  }

  /** Runs `fn` in a transaction, retried from the top when PostgreSQL reports a lost race. */
  async tx<T>(
    fn: (c: Queryable) => Promise<T>,
    isolation: 'read committed' | 'serializable' = 'read committed',
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      try {
        await client.query(isolation === 'serializable' ? 'BEGIN ISOLATION LEVEL SERIALIZABLE' : 'BEGIN');
        const out = await fn(client);
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        const code = (err as { code?: string }).code;
        if (code && RETRYABLE.has(code) && attempt < MAX_ATTEMPTS) {
          await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
          continue;
        }
        throw inputError(err) ?? err;
      } finally {
        client.release();
      }
    }
  }

  /**
   * Runs `fn` on one connection in a REPEATABLE READ, READ ONLY transaction: every statement it runs
   * sees one snapshot (what had committed when the first one ran), however long it takes. For reads
   * in pages that must neither skip nor half-see rows committed meanwhile. Not retried: a read-only
   * transaction does not lose races.
   */
  async snapshot<T>(fn: (c: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw inputError(err) ?? err;
    } finally {
      client.release();
    }
  }

  /** A dedicated connection outside the pool (the cluster bus's LISTEN connection). */
  newClient(): pg.Client {
    return new pg.Client({ connectionString: this.url, types, options: '-c TimeZone=UTC -c DateStyle=ISO' });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
