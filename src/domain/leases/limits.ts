/** The bounds of file leases, in one place. */
export const LEASE_LIMITS = {
  maxPatterns: 100,
  defaultTtlSeconds: 900,
  maxTtlSeconds: 24 * 3600,
  maxPathsPerCheck: 10_000,
  sweepBatch: 500,
} as const;
