/**
 * Cluster-wide jobs run on one node at a time. The job's name becomes a transaction-scoped advisory
 * lock (`pg_try_advisory_xact_lock`): the node that gets it holds a transaction open on one pooled
 * connection while the job runs (its own statements use other connections) and commits afterwards,
 * which frees the lock. Transaction-scoped, not session-level: a session lock would outlive a job
 * that failed half-way and leak through a connection pooler; this one ends with the transaction
 * however the job ends, and with the connection if the node dies.
 */
import type { PgDatabase } from './database.js';

/** Advisory lock keys of jobs live in their own key space (the first of the two 32-bit keys). */
const JOB_LOCK_SPACE = 7700;

export async function runAlone<T>(db: PgDatabase, job: string, fn: () => Promise<T>): Promise<T | undefined> {
  const client = await db.pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ got: boolean }>(
      'SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS got',
      [JOB_LOCK_SPACE, job],
    );
    if (!rows[0]?.got) return undefined;
    return await fn();
  } catch (err) {
    broken = true;
    throw err;
  } finally {
    await client.query(broken ? 'ROLLBACK' : 'COMMIT').catch(() => {});
    client.release();
  }
}
