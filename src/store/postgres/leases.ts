/**
 * PostgreSQL implementation of LeaseStore. An acquisition decides from the project's live leases,
 * so acquisitions in one project take turns under a transaction-scoped advisory lock named after the
 * project: two nodes asking for the same path at once give one holder and one conflict.
 */
import type { LeaseRecord, LeaseStore } from '../leases.js';
import type { PgDatabase } from './database.js';
import { leaseParams, type LeaseRow, toLease } from '../rows/leases.js';

/** The advisory-lock class of lease acquisitions (the two-key lock space; the second is the project's hash). */
const LEASE_LOCK_CLASS = 7_700_300;

export class PgLeaseStore implements LeaseStore {
  constructor(readonly db: PgDatabase) {}

  acquireLease<C>(
    lease: LeaseRecord,
    now: string,
    conflicts: (live: LeaseRecord[]) => C[],
  ): Promise<{ lease: LeaseRecord } | { conflicts: C[] }> {
    return this.db.tx(async (c) => {
      // Exactness across nodes: the project's advisory lock — the live leases read below are the
      // committed ones, and no other acquisition in this project decides until we commit.
      await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LEASE_LOCK_CLASS, lease.project]);
      const { rows } = await c.query<LeaseRow>(
        'SELECT * FROM leases WHERE project = $1 AND expires_at > $2::timestamptz ORDER BY id',
        [lease.project, now],
      );
      const found = conflicts(rows.map(toLease));
      if (found.length > 0) return { conflicts: found };
      await c.query(
        `INSERT INTO leases
           (id, project, holder, mode, patterns, reason, ttl_seconds, acquired_at, renewed_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        leaseParams(lease),
      );
      return { lease };
    });
  }

  async getLease(id: string, now: string): Promise<LeaseRecord | undefined> {
    const [row] = await this.db.query<LeaseRow>(
      'SELECT * FROM leases WHERE id = $1 AND expires_at > $2::timestamptz',
      [id, now],
    );
    return row && toLease(row);
  }

  async renewLease(
    id: string,
    now: string,
    expiresAt: string,
    ttlSeconds: number,
  ): Promise<LeaseRecord | undefined> {
    // One conditional statement: only a lease still live at `now` moves (the row lock orders it
    // against a concurrent release or sweep, which then find it renewed or gone).
    const [row] = await this.db.query<LeaseRow>(
      `UPDATE leases SET expires_at = $1, renewed_at = $2, ttl_seconds = $3
       WHERE id = $4 AND expires_at > $2::timestamptz RETURNING *`,
      [expiresAt, now, ttlSeconds, id],
    );
    return row && toLease(row);
  }

  async releaseLease(id: string): Promise<boolean> {
    return (await this.db.query('DELETE FROM leases WHERE id = $1 RETURNING 1', [id])).length > 0;
  }

  async listLeases(filter: { project?: string; holder?: string; now: string }): Promise<LeaseRecord[]> {
    const where = ['expires_at > $1::timestamptz'];
    const args: string[] = [filter.now];
    if (filter.project !== undefined) {
      args.push(filter.project);
      where.push(`project = $${args.length}`);
    }
    if (filter.holder !== undefined) {
      args.push(filter.holder);
      where.push(`holder = $${args.length}`);
    }
    const rows = await this.db.query<LeaseRow>(
      `SELECT * FROM leases WHERE ${where.join(' AND ')} ORDER BY id`,
      args,
    );
    return rows.map(toLease);
  }

  async sweepLeases(now: string, limit: number): Promise<LeaseRecord[]> {
    // Exactness across nodes: SKIP LOCKED gives concurrent sweeps disjoint rows, and the DELETE
    // re-checks the expiry on the committed row, so each expired lease is removed (and reported) once.
    const rows = await this.db.query<LeaseRow>(
      `WITH gone AS (
         DELETE FROM leases WHERE id IN (
           SELECT id FROM leases WHERE expires_at <= $1::timestamptz
           ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
         AND expires_at <= $1::timestamptz
         RETURNING *)
       SELECT * FROM gone ORDER BY expires_at, id`,
      [now, limit],
    );
    return rows.map(toLease);
  }
}
