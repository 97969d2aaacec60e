import { describe, expect, it } from 'vitest';
import { bucketStart, minuteIso, minuteOf } from './buckets.js';

describe('analytics buckets', () => {
  it('puts a time in its minute, and minutes in their hour and day', () => {
    const m = minuteOf('2026-12-06T11:37:59.999Z');
    expect(minuteIso(m)).toBe('2026-12-06T11:37:00.000Z');
    expect(minuteOf(Date.parse('2026-12-06T11:38:00.000Z'))).toBe(m + 1);
    expect(minuteIso(bucketStart(m, 'minute'))).toBe('2026-12-06T11:37:00.000Z');
    expect(minuteIso(bucketStart(m, 'hour'))).toBe('2026-12-06T11:00:00.000Z');
    expect(minuteIso(bucketStart(m, 'day'))).toBe('2026-12-06T00:00:00.000Z');
  });
});
