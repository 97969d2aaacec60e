/**
 * The lease glob subset: parsing (what is refused, and why), matching, and an overlap check that is
 * exact (checked by brute force over small paths) and symmetric. Matching needs no regular
 * expression: it agrees with the former regular-expression matcher and dynamic-programming overlap
 * check on small inputs, and its work stays small (and bounded by the caller's budget) on the hostile
 * inputs that made those freeze the hub.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WorkBudget, WorkExhausted } from '../../core/wildcard.js';
import { compileGlob, type Glob, globMatches, globsOverlap, parseGlob, parseNewGlob } from './globs.js';
import { LEASE_LIMITS } from './limits.js';

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

// Every path of up to 3 segments of 1-3 letters from {a, b}: enough to witness any overlap of the
// small patterns generated below.
const segs: string[] = [];
for (const len of [1, 2, 3]) {
  const walk = (prefix: string) => {
    if (prefix.length === len) segs.push(prefix);
    else for (const c of 'ab') walk(prefix + c);
  };
  walk('');
}
const paths: string[] = [...segs];
for (const a of segs) for (const b of segs) paths.push(`${a}/${b}`);
for (const a of segs) for (const b of segs) for (const c of ['a', 'ab', 'b']) paths.push(`${a}/${b}/${c}`);

const smallSegment = fc.oneof(
  fc.constant('**'),
  fc
    .array(fc.constantFrom('a', 'b', '*', '?'), { minLength: 1, maxLength: 2 })
    .map((cs) => cs.join(''))
    .filter((s) => s !== '**'),
);
const smallPattern = fc.array(smallSegment, { minLength: 1, maxLength: 2 }).map((s) => s.join('/'));

describe('lease globs: matching, and overlap checked by brute force', () => {
  it('matches paths by segment: * and ? stay within a segment, ** spans segments', () => {
    expect(globMatches(glob('src/*.ts'), 'src/a.ts')).toBe(true);
    expect(globMatches(glob('src/*.ts'), 'src/x/a.ts')).toBe(false);
    expect(globMatches(glob('src/**'), 'src/x/y/a.ts')).toBe(true);
    expect(globMatches(glob('src/**/a.ts'), 'src/a.ts')).toBe(true);
    expect(globMatches(glob('src/'), 'src/deep/file')).toBe(true);
    expect(globMatches(glob('./docs/?.md'), 'docs/a.md')).toBe(true);
    expect(globMatches(glob('docs/?.md'), 'docs/ab.md')).toBe(false);
  });

  it('decides overlap of familiar cases', () => {
    const overlap = (a: string, b: string) => globsOverlap(glob(a), glob(b));
    expect(overlap('src/**', 'src/api/x.ts')).toBe(true);
    expect(overlap('src/*.ts', 'src/*.js')).toBe(false);
    expect(overlap('src/*.ts', '**/index.*')).toBe(true);
    expect(overlap('a/*/c', 'a/b/*')).toBe(true);
    expect(overlap('a/*', 'a/*/c')).toBe(false);
    expect(overlap('test/**', 'src/**')).toBe(false);
    expect(overlap('**', 'anything/at/all')).toBe(true);
    expect(overlap('x*y', '*z*')).toBe(true);
    expect(overlap('x?', 'x')).toBe(false);
  });

  it('refuses patterns outside the subset, saying why', () => {
    for (const bad of ['', '/etc/passwd', '../up', 'a//b', 'src/[ab].ts', 'src/{a,b}', '!src', 'a\\b']) {
      expect('error' in parseGlob(bad), bad).toBe(true);
    }
  });

  it('overlap is exact: true exactly when some path matches both patterns', () => {
    fc.assert(
      fc.property(smallPattern, smallPattern, (a, b) => {
        const ga = glob(a);
        const gb = glob(b);
        const witness = paths.some((p) => globMatches(ga, p) && globMatches(gb, p));
        expect(globsOverlap(ga, gb), `${a} vs ${b}`).toBe(witness);
        expect(globsOverlap(gb, ga)).toBe(witness);
      }),
      { numRuns: 400 },
    );
  });
});

describe('parsing patterns', () => {
  it('normalizes ./ and a trailing /', () => {
    expect(parseGlob('./src/')).toEqual({ glob: ['src', '**'], text: 'src/**' });
    expect(parseGlob('././a/b')).toEqual({ glob: ['a', 'b'], text: 'a/b' });
    expect(parseGlob('.env')).toEqual({ glob: ['.env'], text: '.env' });
  });

  it('refuses what a lease cannot mean, saying why', () => {
    const why = (raw: string) => (parseGlob(raw) as { error: string }).error;
    const subset = 'uses syntax outside the supported glob subset (*, **, ?, literal characters)';
    expect(why('')).toBe('is empty');
    expect(why('/etc/passwd')).toBe('is absolute; give a path relative to the repository root');
    expect(why('src/[ab].ts')).toBe(subset);
    expect(why('src/{a,b}')).toBe(subset);
    expect(why('!src')).toBe(subset);
    expect(why('a\\b')).toBe(subset);
    expect(why('a\nb')).toBe('contains control characters');
    expect(why('a\u0000b')).toBe('contains control characters');
    expect(why('a//b')).toBe('has an empty segment (//)');
    expect(why('./')).toBe('has an empty segment (//)');
    expect(why('../up')).toBe('has a "." or ".." segment');
    expect(why('src/../../etc')).toBe('has a "." or ".." segment');
    expect(why('src/./x')).toBe('has a "." or ".." segment');
  });

  it('refuses a pattern longer than the limit, naming it', () => {
    const max = LEASE_LIMITS.maxPatternLength;
    expect(parseGlob('a'.repeat(max))).not.toHaveProperty('error');
    expect(parseGlob('a'.repeat(max + 1))).toEqual({
      error: `is longer than ${max} characters, the most a pattern may have`,
    });
  });
});

describe('overlap properties', () => {
  it('is symmetric', () => {
    fc.assert(
      fc.property(pattern, pattern, (p, q) => {
        const [a, b] = [glob(p), glob(q)];
        expect(globsOverlap(a, b), `${p} vs ${q}`).toBe(globsOverlap(b, a));
      }),
      { numRuns: 3000 },
    );
  });

  it('every pattern overlaps itself and **', () => {
    fc.assert(
      fc.property(pattern, (p) => {
        expect(globsOverlap(glob(p), glob(p)), p).toBe(true);
        expect(globsOverlap(glob(p), glob('**')), p).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('a path that matches both patterns means they overlap (no missed conflict)', () => {
    fc.assert(
      fc.property(pattern, pattern, path, (p, q, file) => {
        const [a, b] = [glob(p), glob(q)];
        if (globMatches(a, file) && globMatches(b, file))
          expect(globsOverlap(a, b), `${p} vs ${q}`).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('patterns under different literal directories never overlap', () => {
    fc.assert(
      fc.property(pattern, pattern, (p, q) => {
        expect(globsOverlap(glob(`left/${p}`), glob(`right/${q}`))).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('hostile patterns', () => {
  it('a request that would work too hard is stopped by its budget, not left to freeze the hub', () => {
    /** The work one call needs, then the same call with one step less: refused, naming the budget. */
    const stopped = (work: (b: WorkBudget) => unknown) => {
      const needed = new WorkBudget(Infinity);
      work(needed);
      expect(needed.used).toBeGreaterThan(1);
      const short = new WorkBudget(needed.used - 1);
      expect(() => work(short)).toThrow(WorkExhausted);
      expect(() => work(new WorkBudget(needed.used - 1))).toThrow(
        `matching work exceeded ${needed.used - 1} steps`,
      );
      expect(() => work(new WorkBudget(needed.used))).not.toThrow();
    };
    const starry = compileGlob(glob(`${'*a'.repeat(16)}*b`));
    stopped((b) => globMatches(starry, `${'a'.repeat(999)}b`, b));
    const long = (tag: string) => compileGlob(glob(`${'?'.repeat(500)}*${'?'.repeat(500)}${tag}`));
    stopped((b) => globsOverlap(long('x'), long('y'), b));
  });

  it('the longest patterns allowed, full of stars and ?, are decided quickly and correctly', () => {
    const max = LEASE_LIMITS.maxPatternLength;
    const stars = `${'*?'.repeat(8)}${'?'.repeat(max - 17)}x`;
    const qs = `${'?'.repeat(max - 1)}y`;
    expect(parseNewGlob(stars)).not.toHaveProperty('error');
    const budget = new WorkBudget(Infinity);
    expect(globsOverlap(glob(stars), glob(qs), budget)).toBe(false);
    expect(globsOverlap(glob(stars), glob(`${'?'.repeat(max - 1)}x`), budget)).toBe(true);
    expect(budget.used).toBeLessThan(50 * max);
    // Deep ** chains on both sides.
    const deep = `${'**/a/'.repeat(8)}b`;
    const deeper = `${'a/'.repeat(300)}b`;
    expect(globsOverlap(glob(deep), glob(deeper))).toBe(true);
    expect(globsOverlap(glob(deep), glob(`${'a/'.repeat(7)}b`))).toBe(false);
  });
});
