/** The bounds of file leases, in one place (the work budget per request is `leases.maxMatchSteps`). */
export const LEASE_LIMITS = {
  /** Patterns in one acquire_lease. */
  maxPatterns: 100,
  /** Characters in one pattern. */
  maxPatternLength: 1024,
  /** `*` characters in one new pattern (a `**` segment counts two). */
  maxStarsPerPattern: 16,
  defaultTtlSeconds: 900,
  maxTtlSeconds: 24 * 3600,
  maxPathsPerCheck: 10_000,
  /** Characters in one path given to check_paths or list_leases. */
  maxPathLength: 1024,
  sweepBatch: 500,
  /** Leases per page of list_leases (default and most). */
  defaultPage: 100,
  maxPage: 500,
} as const;
