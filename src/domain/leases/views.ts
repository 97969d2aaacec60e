/** Leases as the API shows them (snake_case). */
import type { LeaseView } from '../../core/wire/index.js';
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
