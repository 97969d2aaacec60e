/**
 * Splitting a range of minutes into the largest whole buckets a rollup keeps (days, hours) and the
 * single minutes left at its edges, so a store reads a few summary rows for the whole buckets and
 * the minute rows only at the edges, and stays exact for any `since`/`until`. Pure; both stores use it.
 */

/** Stand-ins for an open end of a range. */
export const LOW = -1e15;
export const HIGH = 1e15;

/** Whole buckets of `span` minutes (0: all time, 1: single minutes) from `from` (incl.) to `to` (excl.). */
export interface Piece {
  span: number;
  from: number;
  to: number;
}

/**
 * Splits [since, until) into the largest whole buckets of `spans` (descending; 1 must be last):
 * all time (span 0) when the range is open at both ends, else days, hours and edge minutes.
 */
export function split(since: number | undefined, until: number | undefined, spans: number[]): Piece[] {
  if (since === undefined && until === undefined && spans[0] === 0) return [{ span: 0, from: LOW, to: HIGH }];
  const sized = spans.filter((s) => s > 0);
  const go = (s: number, u: number, i: number): Piece[] => {
    if (s >= u) return [];
    const m = sized[i]!;
    if (m === 1) return [{ span: 1, from: s, to: u }];
    const a = s <= LOW ? LOW : Math.ceil(s / m) * m;
    const b = u >= HIGH ? HIGH : Math.floor(u / m) * m;
    if (a >= b) return go(s, u, i + 1);
    return [...go(s, a, i + 1), { span: m, from: a, to: b }, ...go(b, u, i + 1)];
  };
  return go(since ?? LOW, until ?? HIGH, 0);
}
