import { describe, expect, it } from 'vitest';
import { binOf } from './histogram.js';
import { latencyFigures } from './performance.js';

describe('latency figures', () => {
  it('sums rows of the same bin from several minutes, and reads percentiles as bin upper bounds', () => {
    // 1.5 s, 2.5 s (twice, from two minutes) and 60 s.
    const rows = [
      { bin: binOf(1500), count: 1, sumMs: 1500 },
      { bin: binOf(2500), count: 1, sumMs: 2500 },
      { bin: binOf(2500), count: 1, sumMs: 2500 },
      { bin: binOf(60_000), count: 1, sumMs: 60_000 },
    ];
    expect(latencyFigures(rows)).toEqual({
      count: 4,
      mean_ms: 16_625,
      p50_ms: 4096, // 2.5 s is in the bin up to 4.096 s
      p95_ms: 65_536,
      p99_ms: 65_536,
    });
  });

  it('has no mean or percentiles without samples', () => {
    expect(latencyFigures([])).toEqual({ count: 0, mean_ms: null, p50_ms: null, p95_ms: null, p99_ms: null });
  });
});
