/** Lease rows as both stores read them, and the records they become. */
import type { LeaseMode, LeaseRecord } from '../leases.js';

export interface LeaseRow {
  id: string;
  project: string;
  holder: string;
  mode: LeaseMode;
  patterns: string;
  reason: string | null;
  ttl_seconds: number;
  acquired_at: string;
  renewed_at: string;
  expires_at: string;
}

export const toLease = (r: LeaseRow): LeaseRecord => ({
  id: r.id,
  project: r.project,
  holder: r.holder,
  mode: r.mode,
  patterns: JSON.parse(r.patterns),
  reason: r.reason,
  ttlSeconds: r.ttl_seconds,
  acquiredAt: r.acquired_at,
  renewedAt: r.renewed_at,
  expiresAt: r.expires_at,
});

/** A lease's column values, in the order both stores' INSERTs list the columns. */
export const leaseParams = (lease: LeaseRecord): unknown[] => [
  lease.id,
  lease.project,
  lease.holder,
  lease.mode,
  JSON.stringify(lease.patterns),
  lease.reason,
  lease.ttlSeconds,
  lease.acquiredAt,
  lease.renewedAt,
  lease.expiresAt,
];
