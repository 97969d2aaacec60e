import { expect, it } from 'vitest';
import { iso } from './time.js';

it('formats each millisecond as ISO-8601 UTC, the same one repeatedly, and refuses an invalid time', () => {
  const t = Date.UTC(2026, 11, 7, 10, 0, 0, 123);
  expect(iso(t)).toBe('2026-12-07T10:00:00.123Z');
  expect(iso(t)).toBe('2026-12-07T10:00:00.123Z');
  expect(iso(t + 1)).toBe('2026-12-07T10:00:00.124Z');
  expect(iso(t)).toBe('2026-12-07T10:00:00.123Z');
  expect(() => iso(Number.NaN)).toThrow(RangeError);
  expect(() => iso(Number.NaN)).toThrow(RangeError);
  expect(iso(0)).toBe('1970-01-01T00:00:00.000Z');
});
