/**
 * Performance figures from the latency rollups: per metric, percentiles over the range and a series
 * per bucket. Percentiles are the upper bound of the log-scale histogram bin that holds that rank.
 */
import type { AnalyticsStore, RollupQuery } from '../../store/analytics.js';
import { type BucketSize, MINUTES_PER, minuteIso } from './buckets.js';
import { percentile } from './histogram.js';
import { LATENCY_METRICS, type LatencyMetric } from './perf-fold.js';

export interface LatencyFigures {
  count: number;
  mean_ms: number | null;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
}

/** Count, mean and p50/p95/p99 of histogram rows (bin → count, sum). */
export function latencyFigures(rows: Array<{ bin: number; count: number; sumMs: number }>): LatencyFigures {
  const hist = new Map<number, number>();
  let count = 0;
  let sumMs = 0;
  for (const r of rows) {
    hist.set(r.bin, (hist.get(r.bin) ?? 0) + r.count);
    count += r.count;
    sumMs += r.sumMs;
  }
  return histogramFigures(count, sumMs, hist);
}

/** Count, mean and p50/p95/p99 of a histogram (bin → count) with `count` samples summing to `sumMs`. */
export function histogramFigures(
  count: number,
  sumMs: number,
  hist: ReadonlyMap<number, number>,
): LatencyFigures {
  return {
    count,
    mean_ms: count ? Math.round((sumMs / count) * 1000) / 1000 : null,
    p50_ms: percentile(hist, 0.5),
    p95_ms: percentile(hist, 0.95),
    p99_ms: percentile(hist, 0.99),
  };
}

/**
 * Per metric over the range with its series per bucket, and per agent (the `agentsLimit` agents with the most
 * samples, then by id).
 */
export async function performanceFigures(
  store: AnalyticsStore,
  q: RollupQuery,
  bucket: BucketSize,
  agentsLimit: number,
) {
  const totals = await store.latencyTotals(q);
  const rows = await store.latencySeriesHistograms(q, MINUTES_PER[bucket]);
  const metrics = {} as Record<
    LatencyMetric,
    LatencyFigures & { series: Array<LatencyFigures & { bucket_start: string }> }
  >;
  for (const metric of LATENCY_METRICS) {
    const series = rows
      .filter((r) => r.metric === metric)
      .map((r) => ({ bucket_start: minuteIso(r.bucket), ...histogramFigures(r.count, r.sumMs, r.bins) }));
    metrics[metric] = { ...latencyFigures(totals.filter((r) => r.metric === metric)), series };
  }
  const perAgent = new Map<string, Awaited<ReturnType<AnalyticsStore['latencyByAgentHistograms']>>>();
  for (const r of await store.latencyByAgentHistograms(q))
    perAgent.set(r.agentId, [...(perAgent.get(r.agentId) ?? []), r]);
  const none = new Map<number, number>();
  const by_agent = [...perAgent.entries()]
    .map(([agentId, rs]) => ({ agentId, rs, n: rs.reduce((s, r) => s + r.count, 0) }))
    .sort((a, b) => b.n - a.n || a.agentId.localeCompare(b.agentId))
    .slice(0, agentsLimit)
    .map(({ agentId, rs }) => ({
      agent_id: agentId,
      ...(Object.fromEntries(
        LATENCY_METRICS.map((m) => {
          const r = rs.find((x) => x.metric === m);
          return [m, r ? histogramFigures(r.count, r.sumMs, r.bins) : histogramFigures(0, 0, none)];
        }),
      ) as Record<LatencyMetric, LatencyFigures>),
    }));
  return { bucket, metrics, by_agent };
}
