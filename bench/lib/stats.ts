/** Small statistics helpers: percentiles over raw samples, medians over repetitions. */

/** Nearest-rank percentile of unsorted samples (copied and sorted here). NaN when empty. */
export function percentile(samples: ArrayLike<number>, p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = Float64Array.from(samples).sort();
  return pickSorted(sorted, p);
}

export function pickSorted(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

export function summarize(samples: ArrayLike<number>): {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
} {
  const sorted = Float64Array.from(samples).sort();
  return {
    n: sorted.length,
    p50: pickSorted(sorted, 50),
    p90: pickSorted(sorted, 90),
    p99: pickSorted(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
  };
}

export function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Median of one numeric field over a list of repetition results. */
export function medianOf<T>(reps: T[], pick: (r: T) => number): number {
  return median(reps.map(pick));
}

export const round = (x: number, digits = 2): number =>
  Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `done` every `everyMs` until it is true or `timeoutMs` passes; returns whether it became true. */
export async function until(done: () => boolean, timeoutMs: number, everyMs = 5): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
  return true;
}

/** Rounds every field of a latency summary to microseconds (3 decimals of ms); `n` stays as it is. */
export function roundStats<T extends Record<string, number>>(s: T): T {
  const out = {} as Record<string, number>;
  for (const [k, v] of Object.entries(s)) out[k] = k === 'n' ? v : round(v, 3);
  return out as T;
}
