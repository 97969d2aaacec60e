/** Persistence for leases: the LeaseStore part of the Store interface. */

export type LeaseMode = 'exclusive' | 'shared';

export interface LeaseRecord {
  id: string;
  project: string;
  holder: string;
  mode: LeaseMode;
  /** Normalized glob patterns. */
  patterns: string[];
  reason: string | null;
  ttlSeconds: number;
  acquiredAt: string;
  renewedAt: string;
  expiresAt: string;
}

export interface LeaseStore {
  /**
   * Inserts the lease in one atomic write unless `conflicts` (given the project's live leases at
   * that moment) returns anything; then nothing is stored and the conflicts come back.
   */
  acquireLease<C>(
    lease: LeaseRecord,
    now: string,
    conflicts: (live: LeaseRecord[]) => C[],
  ): Promise<{ lease: LeaseRecord } | { conflicts: C[] }>;
  /** The lease if it is live at `now`. */
  getLease(id: string, now: string): Promise<LeaseRecord | undefined>;
  /** Moves a live lease's expiry; undefined when it is gone or expired. */
  renewLease(
    id: string,
    now: string,
    expiresAt: string,
    ttlSeconds: number,
  ): Promise<LeaseRecord | undefined>;
  /** Removes a lease; false when there was none. */
  releaseLease(id: string): Promise<boolean>;
  /** Live leases, oldest first. */
  listLeases(filter: { project?: string; holder?: string; now: string }): Promise<LeaseRecord[]>;
  /** Removes leases expired at `now` and returns them. */
  sweepLeases(now: string, limit: number): Promise<LeaseRecord[]>;
}
