/**
 * Lease glob matching without regular expressions: it agrees with the former regular-expression
 * matcher and dynamic-programming overlap check on small inputs, and its work stays small on the
 * inputs that made those freeze the hub.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WorkBudget } from '../../core/wildcard.js';
import { compileGlob, type Glob, globMatches, globsOverlap, parseGlob, parseNewGlob } from './globs.js';

const glob = (text: string): Glob => {
  const g = parseGlob(text);
  if ('error' in g) throw new Error(`${text}: ${g.error}`);
  return g.glob;
};

/** The former matcher: a regular expression per segment, `**` by memoized recursion. */
function referenceMatches(g: Glob, path: string): boolean {
  const res = g.map((s) =>
    s === '**'
      ? null
      : new RegExp(
          `^${[...s].map((c) => (c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('')}$`,
        ),
  );
  const segs = path.split('/');
  const go = (i: number, j: number): boolean => {
    if (i === res.length) return j === segs.length;
    if (res[i] === null) return go(i + 1, j) || (j < segs.length && go(i, j + 1));
    return j < segs.length && res[i]!.test(segs[j]!) && go(i + 1, j + 1);
  };
  return go(0, 0);
}

/** The former overlap check: a walk over both patterns at once, segment by segment, character by character. */
function referenceOverlap(a: Glob, b: Glob): boolean {
  const chars = (p: string, q: string): boolean => {
    const go = (i: number, j: number): boolean => {
      if (i === p.length && j === q.length) return true;
      if (p[i] === '*') return go(i + 1, j) || (j < q.length && go(i, j + 1));
      if (q[j] === '*') return go(i, j + 1) || (i < p.length && go(i + 1, j));
      if (i === p.length || j === q.length) return false;
      return (p[i] === '?' || q[j] === '?' || p[i] === q[j]) && go(i + 1, j + 1);
    };
    return go(0, 0);
  };
  const go = (i: number, j: number): boolean => {
    if (i === a.length && j === b.length) return true;
    if (a[i] === '**') return go(i + 1, j) || (j < b.length && go(i, j + 1));
    if (b[j] === '**') return go(i, j + 1) || (i < a.length && go(i + 1, j));
    if (i === a.length || j === b.length) return false;
    return chars(a[i]!, b[j]!) && go(i + 1, j + 1);
  };
  return go(0, 0);
}

const segment = fc.oneof(
  { weight: 1, arbitrary: fc.constant('**') },
  {
    weight: 4,
    arbitrary: fc
      .array(fc.constantFrom('a', 'b', '.', '*', '?'), { minLength: 1, maxLength: 4 })
      .map((cs) => cs.join(''))
      .filter((s) => s !== '**' && s !== '.' && s !== '..'),
  },
);
const pattern = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));
// Path segments may hold `*` and `?`: in a path they are plain characters.
const pathSegment = fc
  .array(fc.constantFrom('a', 'b', '.', '*', '?'), { minLength: 1, maxLength: 4 })
  .map((cs) => cs.join(''))
  .filter((s) => s !== '.' && s !== '..');
const path = fc.array(pathSegment, { minLength: 1, maxLength: 5 }).map((s) => s.join('/'));

describe('lease glob matcher', () => {
  it('matches paths exactly as the former regular-expression matcher did', () => {
    fc.assert(
      fc.property(pattern, path, (p, q) => {
        const g = glob(p);
        expect(globMatches(g, q), `${p} vs ${q}`).toBe(referenceMatches(g, q));
        expect(globMatches(compileGlob(g), q)).toBe(referenceMatches(g, q));
      }),
      { numRuns: 5000 },
    );
  });

  it('decides overlap exactly as the former walk over both patterns did', () => {
    fc.assert(
      fc.property(pattern, pattern, (p, q) => {
        const [a, b] = [glob(p), glob(q)];
        expect(globsOverlap(a, b), `${p} vs ${q}`).toBe(referenceOverlap(a, b));
      }),
      { numRuns: 5000 },
    );
  });

  it('stays cheap on the patterns that froze the hub', () => {
    // check_paths: 16 stars in one segment against a long run of `a`.
    const starry = compileGlob(glob(`${'*a'.repeat(16)}*b`));
    const budget = new WorkBudget(Infinity);
    expect(globMatches(starry, 'a'.repeat(1000), budget)).toBe(false);
    expect(globMatches(starry, `${'a'.repeat(999)}b`, budget)).toBe(true);
    expect(budget.used).toBeLessThan(200);

    // acquire_lease: 100 × 100 pairs of 1,000-character patterns, each pair agreeing for a long way.
    const long = (i: number, tag: string) =>
      compileGlob(glob(`${'?'.repeat(490)}*${'?'.repeat(490)}${tag}${i}`));
    const mine = Array.from({ length: 100 }, (_, i) => long(i, 'y'));
    const theirs = Array.from({ length: 100 }, (_, i) => long(i, 'x'));
    const pairs = new WorkBudget(Infinity);
    for (const a of mine) for (const b of theirs) expect(globsOverlap(a, b, pairs)).toBe(false);
    // Linear per pair (about the patterns' length), where the former check was quadratic.
    expect(pairs.used).toBeLessThan(100 * 100 * 2_100);

    // Many segments with `**` on both sides, and against a deep path.
    const deep = compileGlob(glob(`**/${'a/'.repeat(100)}b/**`));
    const deepPath = `${'a/'.repeat(500)}c`;
    const segs = new WorkBudget(Infinity);
    expect(globMatches(deep, deepPath, segs)).toBe(false);
    expect(segs.used).toBeLessThan(500 * 105 * 3);
  });

  it('refuses new patterns with more stars than the cap, naming it', () => {
    expect(parseNewGlob(`${'*a'.repeat(16)}`)).not.toHaveProperty('error');
    expect(parseNewGlob('**/x/**/*.ts')).not.toHaveProperty('error');
    const many = parseNewGlob(`${'*a'.repeat(17)}`);
    expect(many).toEqual({
      error: expect.stringContaining('has 17 "*", more than the 16 a pattern may have'),
    });
    // Stored patterns (leased before the cap) still parse, so they keep protecting their files.
    expect(parseGlob(`${'*a'.repeat(17)}`)).not.toHaveProperty('error');
  });
});
