/**
 * When two leases clash: different holders, overlapping patterns, and at least one of them exclusive.
 * A holder never conflicts with itself (it may widen or stack its own leases).
 */
import type { LeaseMode, LeaseRecord } from '../../store/leases.js';
import { type Glob, globsOverlap, parseGlob } from './globs.js';
import type { LeaseConflict } from './views.js';

export function findConflicts(
  holder: string,
  mode: LeaseMode,
  requested: Array<{ glob: Glob; text: string }>,
  live: LeaseRecord[],
): LeaseConflict[] {
  const out: LeaseConflict[] = [];
  for (const lease of live) {
    if (lease.holder === holder) continue;
    if (mode === 'shared' && lease.mode === 'shared') continue;
    for (const held of lease.patterns) {
      const heldGlob = parseGlob(held);
      if ('error' in heldGlob) continue;
      for (const want of requested) {
        if (!globsOverlap(want.glob, heldGlob.glob)) continue;
        out.push({
          lease_id: lease.id,
          holder: lease.holder,
          mode: lease.mode,
          pattern: held,
          requested: want.text,
          expires_at: lease.expiresAt,
          reason: lease.reason,
        });
      }
    }
  }
  return out;
}
