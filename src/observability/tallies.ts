/**
 * Hot-path metric children that count in plain numbers and hand their counts to prom-client only when
 * the metrics are read (its `collect` hook, run by every `/metrics` scrape and `get()`). prom-client
 * validates and hashes the labels on every `inc`/`observe`, even through a bound `labels()` child:
 * about a microsecond each, several times per message at saturation.
 */
import type { Counter, Histogram } from 'prom-client';

/** A counter child: `inc` adds to a number; `flush` passes the sum on. */
export class CounterTally {
  private pending = 0;

  constructor(
    private readonly counter: Counter<string>,
    private readonly labels: Record<string, string>,
  ) {}

  inc(by = 1): void {
    this.pending += by;
  }

  flush(): void {
    if (this.pending === 0) return;
    const n = this.pending;
    this.pending = 0;
    this.counter.inc(this.labels, n);
  }
}

/** prom-client's stored state of one histogram series (what `observe` updates). */
interface HistogramSeries {
  sum: number;
  count: number;
  bucketValues: Record<number, number>;
}

/**
 * A histogram child: `observe` finds the bucket and adds to plain numbers; `flush` adds them to the
 * series prom-client keeps for these labels (the state `observe` would have updated, created with
 * the public `zero`), so the exported buckets, sum and count are exactly what `observe` gives.
 */
export class HistogramTally {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(
    private readonly histogram: Histogram<string>,
    private readonly labels: Record<string, string>,
    /** The histogram's bucket upper bounds, ascending (as given to its constructor). */
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Array<number>(bounds.length).fill(0);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    this.sum += value;
    this.count++;
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]) {
        this.counts[i]++;
        return;
      }
    }
  }

  flush(): void {
    if (this.count === 0) return;
    const series = this.series();
    series.sum += this.sum;
    series.count += this.count;
    for (let i = 0; i < this.bounds.length; i++) {
      if (this.counts[i] === 0) continue;
      series.bucketValues[this.bounds[i]] = (series.bucketValues[this.bounds[i]] ?? 0) + this.counts[i];
      this.counts[i] = 0;
    }
    this.sum = 0;
    this.count = 0;
  }

  /** The stored series of these labels; `zero` creates it when absent (first flush, or after a reset). */
  private series(): HistogramSeries {
    let found = this.find();
    if (!found) {
      this.histogram.zero(this.labels);
      found = this.find();
    }
    if (!found || typeof found.bucketValues !== 'object' || typeof found.sum !== 'number') {
      throw new Error('prom-client histogram state is not what HistogramTally expects');
    }
    return found;
  }

  private find(): HistogramSeries | undefined {
    const map = (
      this.histogram as unknown as { hashMap: Record<string, HistogramSeries & { labels: object }> }
    ).hashMap;
    return Object.values(map).find((s) => sameLabels(s.labels as Record<string, string>, this.labels));
  }
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => a[k] === b[k]);
}
