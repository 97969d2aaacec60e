/**
 * Lease patterns as the service matches them: parsed and compiled once (a bounded cache keyed by the
 * pattern's text), and matched within one request's work budget (`leases.maxMatchSteps`), so that
 * neither a pathological pattern nor a project full of leases can hold the event loop for long.
 */
import { HubError } from '../../core/errors.js';
import { WorkBudget, WorkExhausted } from '../../core/wildcard.js';
import type { LeaseRecord } from '../../store/leases.js';
import { type CompiledGlob, compileGlob, globsOverlap, parseGlob } from './globs.js';

/** Compiled patterns kept; a miss costs one parse, charged to the request that makes it. */
const CACHE_SIZE = 10_000;

/** Parsing and compiling: about one comparison's time per this many characters. */
const CHARS_PER_STEP = 8;

export class LeaseMatcher {
  private readonly cache = new Map<string, CompiledGlob | null>();

  constructor(readonly maxSteps: number) {}

  /** A fresh budget for one request. */
  budget(): WorkBudget {
    return new WorkBudget(this.maxSteps);
  }

  /** A pattern as stored (already validated when it was leased); null if it no longer parses. */
  glob(pattern: string, budget: WorkBudget): CompiledGlob | null {
    budget.spend();
    const known = this.cache.get(pattern);
    if (known !== undefined) return known;
    budget.spend(Math.ceil(pattern.length / CHARS_PER_STEP));
    const parsed = parseGlob(pattern);
    const compiled = 'error' in parsed ? null : compileGlob(parsed.glob);
    if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(pattern, compiled);
    return compiled;
  }

  /** The patterns of a lease, compiled, each with its text. */
  globsOf(lease: LeaseRecord, budget: WorkBudget): Array<{ pattern: string; glob: CompiledGlob }> {
    const out: Array<{ pattern: string; glob: CompiledGlob }> = [];
    for (const pattern of lease.patterns) {
      const glob = this.glob(pattern, budget);
      if (glob) out.push({ pattern, glob });
    }
    return out;
  }

  /** Some pattern of one lease overlaps some pattern of the other. */
  leasesOverlap(a: LeaseRecord, b: LeaseRecord, budget: WorkBudget): boolean {
    const theirs = this.globsOf(b, budget);
    return this.globsOf(a, budget).some((mine) =>
      theirs.some((other) => globsOverlap(mine.glob, other.glob, budget)),
    );
  }
}

/** Between comparisons, an async caller gives the event loop a turn about this often (a few ms of work). */
const STEPS_PER_TURN = 100_000;

/**
 * Lets long matching work share the event loop: `due` once the budget has been spent by another
 * STEPS_PER_TURN since the last turn, then `pause` yields one. Callers check `due` (cheap, no await)
 * between comparisons and await `pause` only when it says so.
 */
export class Turns {
  private mark: number;
  constructor(private readonly budget: WorkBudget) {
    this.mark = budget.used;
  }
  get due(): boolean {
    return this.budget.used - this.mark >= STEPS_PER_TURN;
  }
  async pause(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    this.mark = this.budget.used;
  }
}

/** The error for a request whose matching ran out of budget; `what` says what was being compared. */
export function tooMuchMatching(err: WorkExhausted, what: string, advice: string): HubError {
  return new HubError(
    'invalid_input',
    `${what} needs more than ${err.limit.toLocaleString('en-US')} comparisons, the most one request may make ` +
      `(leases.maxMatchSteps); ${advice}`,
    { details: { limit: err.limit, setting: 'leases.maxMatchSteps' } },
  );
}
