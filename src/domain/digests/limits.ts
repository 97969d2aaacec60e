/** The bounds of a thread digest, named in errors, in the op's description and in the README. */
export const DIGEST_LIMITS = {
  /** A longer thread is digested from its newest this-many messages (`truncated: true`). */
  maxMessages: 1000,
  /** Votes and tasks listed as having come out of one thread. */
  maxLinked: 100,
  /** A message's text in the prompt an instance summarizes from is cut to this many characters. */
  promptMessageChars: 2000,
  /** The whole prompt is kept under this many characters (the oldest messages' text is left out first). */
  promptChars: 200_000,
  /** A prose summary is stored up to this many characters (a longer answer is cut). */
  summaryChars: 8000,
  /** How long to wait for the instance's summary by default, and at most. */
  defaultWaitSeconds: 120,
  maxWaitSeconds: 600,
} as const;
