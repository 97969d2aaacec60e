/** Leases as the API shows them (snake_case). */
import type { LeaseView } from '../../bus/lease-events.js';
import type { LeaseRecord } from '../../store/leases.js';

export const leaseView = (l: LeaseRecord): LeaseView => ({
  lease_id: l.id,
  project: l.project,
  holder: l.holder,
  mode: l.mode,
  patterns: l.patterns,
  reason: l.reason,
  acquired_at: l.acquiredAt,
  renewed_at: l.renewedAt,
  expires_at: l.expiresAt,
});

/** One clash between a requested pattern and a pattern someone else holds. */
export interface LeaseConflict {
  lease_id: string;
  holder: string;
  mode: 'exclusive' | 'shared';
  /** The holder's pattern. */
  pattern: string;
  /** Your pattern that overlaps it. */
  requested: string;
  expires_at: string;
  reason: string | null;
}
