import { describe, expect, it } from 'vitest';
import { BIN_COUNT, BIN_UPPER_MS, binOf, percentile } from './histogram.js';

describe('latency histogram', () => {
  it('puts each latency in the smallest bin whose upper bound holds it', () => {
    expect(binOf(0)).toBe(0);
    expect(binOf(0.25)).toBe(0);
    expect(binOf(0.26)).toBe(1);
    expect(binOf(1)).toBe(2);
    expect(binOf(1.01)).toBe(3);
    expect(binOf(1000)).toBe(12); // 0.25 · 2^12 = 1024
    expect(binOf(1e12)).toBe(BIN_COUNT - 1);
    for (let i = 0; i < BIN_COUNT; i++) expect(binOf(BIN_UPPER_MS[i]!)).toBe(i);
  });

  it('reads p50/p95/p99 as the upper bound of the bin holding that rank', () => {
    // 90 calls of ≤1 ms (bin 2), 9 of ≤64 ms (bin 8), 1 of ≤1024 ms (bin 12).
    const h = new Map([
      [2, 90],
      [8, 9],
      [12, 1],
    ]);
    expect(percentile(h, 0.5)).toBe(1);
    expect(percentile(h, 0.9)).toBe(1);
    expect(percentile(h, 0.95)).toBe(64);
    expect(percentile(h, 0.99)).toBe(64);
    expect(percentile(h, 1)).toBe(1024);
    expect(percentile(new Map(), 0.5)).toBeNull();
  });
});
