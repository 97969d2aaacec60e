/**
 * When two leases clash: different holders, overlapping patterns, and at least one of them exclusive.
 * A holder never conflicts with itself (it may widen or stack its own leases). The comparisons are
 * paid for from the request's budget (`WorkExhausted` when it runs out).
 */
import type { WorkBudget } from '../../core/wildcard.js';
import type { LeaseMode, LeaseRecord } from '../../store/leases.js';
import { type CompiledGlob, globsOverlap } from './globs.js';
import type { LeaseMatcher } from './matching.js';
import type { LeaseConflict } from '../../core/wire/index.js';

/**
 * Every clash of the requested patterns with these live leases, one comparison at a time: yields
 * `undefined` after each pair of patterns, so that an async caller can give the event loop a turn.
 */
export function* clashes(
  holder: string,
  mode: LeaseMode,
  requested: Array<{ glob: CompiledGlob; text: string }>,
  live: LeaseRecord[],
  matcher: LeaseMatcher,
  budget: WorkBudget,
): Generator<LeaseConflict | undefined> {
  for (const lease of live) {
    if (lease.holder === holder) continue;
    if (mode === 'shared' && lease.mode === 'shared') continue;
    for (const held of matcher.globsOf(lease, budget)) {
      for (const want of requested) {
        if (!globsOverlap(want.glob, held.glob, budget)) {
          yield undefined;
          continue;
        }
        yield {
          lease_id: lease.id,
          holder: lease.holder,
          mode: lease.mode,
          pattern: held.pattern,
          requested: want.text,
          expires_at: lease.expiresAt,
          reason: lease.reason,
        };
      }
    }
  }
}

/** Every clash at once (inside a store write, where nothing may wait). */
export function findConflicts(...args: Parameters<typeof clashes>): LeaseConflict[] {
  return [...clashes(...args)].filter((c): c is LeaseConflict => c !== undefined);
}
