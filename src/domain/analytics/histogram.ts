/**
 * Latency histograms with fixed log-scale bins, so percentiles can be read from summed rollups.
 * Bin i holds latencies up to BIN_UPPER_MS[i] (0.25 ms doubling: 0.25, 0.5, 1, 2, ... ms); the last
 * bin holds everything longer. A percentile is reported as the upper bound of the bin it falls in.
 */
export const BIN_COUNT = 28;
export const BIN_UPPER_MS: readonly number[] = Array.from({ length: BIN_COUNT }, (_, i) => 0.25 * 2 ** i);

/** The bin a latency in milliseconds falls in. */
export function binOf(ms: number): number {
  if (!(ms > 0.25)) return 0;
  const i = Math.ceil(Math.log2(ms / 0.25));
  // Float noise at exact powers of two: make sure the bound holds.
  const j = BIN_UPPER_MS[i - 1] !== undefined && ms <= BIN_UPPER_MS[i - 1]! ? i - 1 : i;
  return Math.min(j, BIN_COUNT - 1);
}

/**
 * The q-th percentile (0 < q ≤ 1) of a histogram given as bin → count: the upper bound of the bin
 * that holds the ceil(q·n)-th smallest value; null when it is empty.
 */
export function percentile(counts: ReadonlyMap<number, number>, q: number): number | null {
  let total = 0;
  for (const c of counts.values()) total += c;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const bin of [...counts.keys()].sort((a, b) => a - b)) {
    seen += counts.get(bin)!;
    if (seen >= rank) return BIN_UPPER_MS[bin]!;
  }
  return BIN_UPPER_MS[BIN_COUNT - 1]!;
}
