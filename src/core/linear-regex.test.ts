/** The linear-time regular expressions answer exactly as JavaScript's engine does, refuse what needs backtracking, and stay linear. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LinearRegex, linearRegexProblem, MAX_STATES } from './linear-regex.js';
import { WorkBudget } from './wildcard.js';

const same = (source: string, text: string) =>
  expect(new LinearRegex(source).test(text), `/${source}/ on ${JSON.stringify(text)}`).toBe(
    new RegExp(source).test(text),
  );

// Random patterns in the supported syntax, and texts over a small alphabet that meets them often.
const { pattern } = fc.letrec<{ pattern: string; term: string; atom: string }>((tie) => ({
  atom: fc.oneof(
    {
      weight: 6,
      arbitrary: fc.constantFrom(
        'a',
        'b',
        '.',
        '\\d',
        '\\w',
        '\\s',
        '\\W',
        '[ab]',
        '[^a]',
        '[a-c1]',
        ' ',
        '\\.',
        'x',
      ),
    },
    { weight: 1, arbitrary: tie('pattern').map((p) => `(${p})`) },
    { weight: 1, arbitrary: tie('pattern').map((p) => `(?:${p})`) },
  ),
  term: fc.oneof(
    {
      weight: 5,
      arbitrary: fc
        .tuple(
          tie('atom'),
          fc.constantFrom('', '', '*', '+', '?', '{2}', '{1,3}', '{0,}', '*?', '+?', '{0,2}'),
        )
        .map(([a, q]) => a + q),
    },
    { weight: 1, arbitrary: fc.constantFrom('^', '$', '\\b', '\\B') },
  ),
  pattern: fc
    .array(
      fc.array(tie('term'), { maxLength: 4 }).map((ts) => ts.join('')),
      { minLength: 1, maxLength: 3 },
    )
    .map((alts) => alts.join('|')),
}));
const text = fc
  .array(fc.constantFrom('a', 'b', 'x', '1', ' ', '_', '.', '\n'), { maxLength: 10 })
  .map((cs) => cs.join(''));

describe('linear-time regular expressions', () => {
  it('answer as RegExp.prototype.test on random patterns and texts', () => {
    fc.assert(
      fc.property(pattern, text, (source, t) => {
        expect(linearRegexProblem(source), source).toBeUndefined();
        same(source, t);
      }),
      { numRuns: 1500 },
    );
  });

  it('read the corners of the syntax as JavaScript does', () => {
    const cases: Array<[string, string[]]> = [
      ['^prod', ['production', 'preprod', '']],
      ['danger$', ['so danger', 'dangerous']],
      ['[]', ['', 'a']],
      ['[^]', ['', '\n']],
      ['a{', ['a{', 'a']],
      ['{', ['{']],
      ['x{2,}', ['x', 'xx', 'xxx']],
      ['a{1,2}b', ['ab', 'aab', 'aaab', 'b']],
      ['\\bfoo\\b', ['a foo b', 'afoo', 'foo']],
      ['\\Bo', ['foo', 'o']],
      ['\\x41\\u0042', ['AB', 'ab']],
      ['[\\d-z]', ['-', '5', 'z', 'y']],
      ['[a-]', ['-', 'a', 'b']],
      ['(?<name>ab)+', ['abab', 'a']],
      ['a|', ['', 'b']],
      ['()', ['']],
      ['\\cJ', ['\n', 'J']],
      ['\\0', ['\0', '0']],
      ['.', ['\n', '\r', '\u2028', 'a']],
      ['\\s+', ['\u00a0', '\ufeff', 'a']],
      ['[\\b]', ['\b', 'b']],
      ['\\p\\q', ['pq']],
      ['(a*)*b', ['aaab', 'aaa']],
      ['(?:a|ab)(?:c|bcd)(?:d*)$', ['abcd', 'abcdd', 'ab']],
      ['\ud83d', ['\ud83d\ude00', 'x']],
    ];
    for (const [source, texts] of cases) for (const t of texts) same(source, t);
  });

  it('refuses what needs backtracking or would not fit, saying why', () => {
    expect(linearRegexProblem('(a)\\1')).toContain('backreference');
    expect(linearRegexProblem('(?<n>a)\\k<n>')).toContain('named backreference');
    expect(linearRegexProblem('a(?=b)')).toContain(
      'uses lookahead or lookbehind ((?=, (?!, (?<=, (?<!), which needs backtracking',
    );
    expect(linearRegexProblem('(?<!a)b')).toContain(
      'uses lookahead or lookbehind ((?=, (?!, (?<=, (?<!), which needs backtracking',
    );
    expect(linearRegexProblem('(?:a{100}){200}')).toContain(`more than ${MAX_STATES} states`);
    expect(linearRegexProblem('a{20000}')).toContain(`above ${MAX_STATES}`);
    expect(linearRegexProblem('(')).toBe('is not a valid regular expression');
  });

  it('stays linear where a backtracking engine takes exponential time', () => {
    const evil = new LinearRegex('^(\\w+\\s?)*$');
    const budget = new WorkBudget(Infinity);
    const long = `${'a'.repeat(100_000)}!`;
    expect(evil.test(long, budget)).toBe(false);
    expect(budget.used).toBeLessThan(long.length * 20);
    expect(new LinearRegex('(a|aa)*c').test('a'.repeat(50_000))).toBe(false);
    expect(new LinearRegex('(x+x+)+y').test(`${'x'.repeat(50_000)}y`)).toBe(true);
  });
});
