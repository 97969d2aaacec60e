/** SQLite implementation of LeaseStore. Reads run at once; writes go through the group-commit batcher. */
import type { Database, Statement } from 'better-sqlite3';
import type { LeaseRecord, LeaseStore } from '../leases.js';
import type { WriteBatcher } from './batcher.js';
import { leaseParams, type LeaseRow, toLease } from '../rows/leases.js';

export class SqliteLeaseStore implements LeaseStore {
  private readonly insert: Statement;
  private readonly liveInProject: Statement;
  private readonly byId: Statement;
  private readonly renew: Statement;
  private readonly remove: Statement;
  private readonly expired: Statement;

  constructor(
    readonly db: Database,
    readonly batcher: WriteBatcher,
  ) {
    this.insert = db.prepare(`INSERT INTO leases
      (id, project, holder, mode, patterns, reason, ttl_seconds, acquired_at, renewed_at, expires_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.liveInProject = db.prepare('SELECT * FROM leases WHERE project = ? AND expires_at > ? ORDER BY id');
    this.byId = db.prepare('SELECT * FROM leases WHERE id = ? AND expires_at > ?');
    this.renew = db.prepare(
      'UPDATE leases SET expires_at = ?, renewed_at = ?, ttl_seconds = ? WHERE id = ? AND expires_at > ?',
    );
    this.remove = db.prepare('DELETE FROM leases WHERE id = ?');
    this.expired = db.prepare('SELECT * FROM leases WHERE expires_at <= ? ORDER BY expires_at LIMIT ?');
  }

  acquireLease<C>(
    lease: LeaseRecord,
    now: string,
    conflicts: (live: LeaseRecord[]) => C[],
  ): Promise<{ lease: LeaseRecord } | { conflicts: C[] }> {
    return this.batcher.run(() => {
      const live = (this.liveInProject.all(lease.project, now) as LeaseRow[]).map(toLease);
      const found = conflicts(live);
      if (found.length > 0) return { conflicts: found };
      this.insert.run(...leaseParams(lease));
      return { lease };
    });
  }

  async getLease(id: string, now: string): Promise<LeaseRecord | undefined> {
    const row = this.byId.get(id, now) as LeaseRow | undefined;
    return row && toLease(row);
  }

  renewLease(
    id: string,
    now: string,
    expiresAt: string,
    ttlSeconds: number,
  ): Promise<LeaseRecord | undefined> {
    return this.batcher.run(() => {
      if (this.renew.run(expiresAt, now, ttlSeconds, id, now).changes === 0) return undefined;
      const row = this.byId.get(id, now) as LeaseRow | undefined;
      return row && toLease(row);
    });
  }

  releaseLease(id: string): Promise<boolean> {
    return this.batcher.run(() => this.remove.run(id).changes > 0);
  }

  async listLeases(filter: { project?: string; holder?: string; now: string }): Promise<LeaseRecord[]> {
    const where = ['expires_at > ?'];
    const args: string[] = [filter.now];
    if (filter.project !== undefined) {
      where.push('project = ?');
      args.push(filter.project);
    }
    if (filter.holder !== undefined) {
      where.push('holder = ?');
      args.push(filter.holder);
    }
    const rows = this.db
      .prepare(`SELECT * FROM leases WHERE ${where.join(' AND ')} ORDER BY id`)
      .all(...args) as LeaseRow[];
    return rows.map(toLease);
  }

  sweepLeases(now: string, limit: number): Promise<LeaseRecord[]> {
    return this.batcher.run(() => {
      const rows = this.expired.all(now, limit) as LeaseRow[];
      for (const r of rows) this.remove.run(r.id);
      return rows.map(toLease);
    });
  }
}
