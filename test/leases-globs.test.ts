/** The lease glob subset: parsing, matching, and an overlap check that is exact (checked by brute force). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { globMatches, globsOverlap, parseGlob } from '../src/domain/leases/globs.js';

const glob = (text: string) => {
  const g = parseGlob(text);
  if ('error' in g) throw new Error(`${text}: ${g.error}`);
  return g.glob;
};

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

const segment = fc.oneof(
  fc.constant('**'),
  fc
    .array(fc.constantFrom('a', 'b', '*', '?'), { minLength: 1, maxLength: 2 })
    .map((cs) => cs.join(''))
    .filter((s) => s !== '**'),
);
const pattern = fc.array(segment, { minLength: 1, maxLength: 2 }).map((s) => s.join('/'));

describe('lease globs', () => {
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
      fc.property(pattern, pattern, (a, b) => {
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
