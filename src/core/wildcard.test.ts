/** The backtracking-free wildcard matcher: it agrees with a regular-expression reference, and its work is bounded. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  charPattern,
  charsOverlap,
  simpleGlobMatches,
  unbounded,
  WorkBudget,
  WorkExhausted,
} from './wildcard.js';

/** The reference: the glob as a (backtracking) regular expression, fine for tiny inputs. */
const reference = (glob: string): RegExp =>
  new RegExp(
    `^${[...glob].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('')}$`,
    's',
  );

const globs = fc.array(fc.constantFrom('a', 'b', '*', '?'), { maxLength: 7 }).map((cs) => cs.join(''));
// Texts may hold `*` and `?` too: in a text they are plain characters.
const texts = fc.array(fc.constantFrom('a', 'b', 'c', '*', '?'), { maxLength: 9 }).map((cs) => cs.join(''));

/** Every string over {a, b, x} up to `max` characters (x stands for any other character). */
function allStrings(max: number): string[] {
  const out = [''];
  for (let i = 0; i < out.length; i++) if (out[i]!.length < max) for (const c of 'abx') out.push(out[i] + c);
  return out;
}
const witnesses = allStrings(8);

describe('wildcard matching', () => {
  it('agrees with the regular-expression reference', () => {
    fc.assert(
      fc.property(globs, texts, (glob, text) => {
        expect(simpleGlobMatches(glob, text), `${glob} vs ${text}`).toBe(reference(glob).test(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('decides overlap exactly: true when some string matches both patterns', () => {
    const small = fc.array(fc.constantFrom('a', 'b', '*', '?'), { maxLength: 4 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(small, small, (p, q) => {
        const [rp, rq] = [reference(p), reference(q)];
        const witness = witnesses.some((w) => rp.test(w) && rq.test(w));
        expect(charsOverlap(charPattern(p), charPattern(q), unbounded()), `${p} vs ${q}`).toBe(witness);
        expect(charsOverlap(charPattern(q), charPattern(p), unbounded())).toBe(witness);
      }),
      { numRuns: 400 },
    );
  });

  it('does about linear work where a backtracking matcher explodes', () => {
    // `*a*a…*b` against a long run of `a`: a backtracking regular expression tries every split.
    const glob = `${'*a'.repeat(16)}*b`;
    for (const n of [1_000, 100_000]) {
      const budget = new WorkBudget(Infinity);
      expect(simpleGlobMatches(glob, 'a'.repeat(n), budget)).toBe(false);
      expect(budget.used).toBeLessThan(100);
      const fits = new WorkBudget(Infinity);
      expect(simpleGlobMatches(glob, `${'a'.repeat(n)}b`, fits)).toBe(true);
      expect(fits.used).toBeLessThan(100);
    }
    // A middle piece that almost fits everywhere: work grows with text × piece, not exponentially.
    const budget = new WorkBudget(Infinity);
    expect(simpleGlobMatches(`*${'a'.repeat(50)}b*`, 'a'.repeat(10_000), budget)).toBe(false);
    expect(budget.used).toBeLessThanOrEqual(10_000 * 52);
  });

  it('stops with WorkExhausted, naming the limit, when the budget runs out', () => {
    const budget = new WorkBudget(1_000);
    let caught: unknown;
    try {
      simpleGlobMatches(`*${'a'.repeat(50)}b*`, 'a'.repeat(10_000), budget);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(WorkExhausted);
    expect((caught as WorkExhausted).limit).toBe(1_000);
    expect(budget.used).toBe(1_000);
  });
});
