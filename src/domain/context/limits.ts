/** The bounds of shared context, in one place. */
export const CONTEXT_LIMITS = {
  /** Largest value, as JSON text. */
  maxValueBytes: 64 * 1024,
  /** Live keys one scope may hold. */
  maxKeysPerScope: 10_000,
  maxTtlSeconds: 30 * 24 * 3600,
  defaultWaitSeconds: 25,
  maxWaitSeconds: 300,
  /** Expired keys removed per sweep write. */
  sweepBatch: 500,
} as const;

/** Keys: letters, digits, `.`, `_`, `:`, `-`; 1 to 200 characters; starts with a letter or digit. */
export const CONTEXT_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;
