/** Time in one place: ISO-8601 UTC strings in APIs and storage; a clock that tests may replace. */
export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };
/**
 * The last millisecond formatted: a busy hub stamps many rows and messages within the same
 * millisecond, and each stamp was a Date and a string.
 */
let lastMs = Number.NaN;
let lastIso = '';
export const iso = (ms: number): string => {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString(); // throws for an invalid time, as before
    lastMs = ms;
  }
  return lastIso;
};
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
