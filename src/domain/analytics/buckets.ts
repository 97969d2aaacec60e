/**
 * Time buckets of the rollups. Rollups are kept per minute (an integer: minutes since the epoch);
 * hour and day series group minutes. Pure functions, no clock.
 */
export type BucketSize = 'minute' | 'hour' | 'day';

export const MINUTES_PER: Readonly<Record<BucketSize, number>> = { minute: 1, hour: 60, day: 1440 };

/** The minute an ISO time (or epoch milliseconds) falls in. */
export function minuteOf(at: string | number): number {
  const ms = typeof at === 'number' ? at : Date.parse(at);
  return Math.floor(ms / 60_000);
}

/** The first minute of the bucket a minute falls in. */
export function bucketStart(minute: number, size: BucketSize): number {
  const m = MINUTES_PER[size];
  return Math.floor(minute / m) * m;
}

/** A minute as an ISO-8601 UTC time. */
export const minuteIso = (minute: number): string => new Date(minute * 60_000).toISOString();
