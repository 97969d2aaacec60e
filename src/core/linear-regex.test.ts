/** Patterns run on RE2 (re2js): they answer as JavaScript's engine does where the two agree, refuse what needs backtracking, and stay linear. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LinearRegex, linearRegexProblem, MAX_PATTERN_LENGTH, MAX_PROGRAM_SIZE } from './linear-regex.js';

const same = (source: string, text: string) =>
  expect(new LinearRegex(source).test(text), `/${source}/ on ${JSON.stringify(text)}`).toBe(
    new RegExp(source).test(text),
  );

// Random patterns in the supported syntax, and texts over a small alphabet that meets them often.
// Groups do not nest: nested quantified groups make the reference, JavaScript's own
// backtracking engine, take seconds to minutes on some of these 10-character texts.
const { pattern } = fc.letrec<{ pattern: string; term: string; atom: string }>((tie) => ({
  atom: fc.oneof(
    { maxDepth: 1, depthIdentifier: 'group' },
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
      ['danger$', ['so danger', 'dangerous', 'danger\n']],
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
      ['.', ['\n', 'a']],
      ['\\s+', ['\t', ' ', 'a']],
      ['(a*)*b', ['aaab', 'aaa']],
      ['(?:a|ab)(?:c|bcd)(?:d*)$', ['abcd', 'abcdd', 'ab']],
      ['/etc/passwd', ['cat /etc/passwd', 'etc']],
      ['\\-\\$', ['-$', '-']],
    ];
    for (const [source, texts] of cases) for (const t of texts) same(source, t);
  });

  it('follow RE2 where it reads text differently, as documented', () => {
    expect(new LinearRegex('.').test('\r')).toBe(true); // JavaScript: only \n, \r, \u2028, \u2029 are not `.`
    expect(new LinearRegex('\\s').test('\u00a0')).toBe(false); // ASCII whitespace only
    expect(new LinearRegex('^.$').test('\ud83d\ude00')).toBe(true); // by code point, not UTF-16 unit
    expect(new LinearRegex('\\u{1F600}').test('\ud83d\ude00')).toBe(true);
  });

  it('refuses what needs backtracking, reads differently or would not fit, saying why', () => {
    const backtracking = 'which needs backtracking; rewrite it without';
    expect(linearRegexProblem('(a)\\1')).toBe(
      `uses "\\1", a backreference (or an old octal escape), ${backtracking}`,
    );
    expect(linearRegexProblem('\\8')).toContain('a backreference');
    expect(linearRegexProblem('(?<n>a)\\k<n>')).toBe(`uses "\\k", a named backreference, ${backtracking}`);
    for (const look of ['a(?=b)', 'a(?!b)', '(?<=a)b', '(?<!a)b', '[(](?=b)']) {
      expect(linearRegexProblem(look), look).toBe(
        `uses lookahead or lookbehind ((?=, (?!, (?<=, (?<!), ${backtracking}`,
      );
    }
    expect(linearRegexProblem('[(?=]')).toBeUndefined(); // in a class, only characters
    expect(linearRegexProblem('\\pL')).toBe(
      'uses "\\p", a plain "p" in JavaScript that RE2 reads otherwise; write "p" without the backslash',
    );
    expect(linearRegexProblem('a{2000}')).toContain('counts go up to 1000');
    expect(linearRegexProblem('(?:a{100}){200}')).toContain('counts go up to 1000');
    const huge = `${'(?:[ab]?){1000}'.repeat(5)}c`;
    expect(new RegExp(huge).test('c')).toBe(true);
    expect(linearRegexProblem(huge)).toMatch(
      new RegExp(`^compiles to \\d+ instructions, more than ${MAX_PROGRAM_SIZE} .*make the counts smaller$`),
    );
    expect(linearRegexProblem('a'.repeat(MAX_PATTERN_LENGTH + 1))).toBe(
      `is longer than ${MAX_PATTERN_LENGTH} characters`,
    );
    expect(linearRegexProblem('[\\b]')).toBe('cannot run on RE2: invalid escape sequence (\\b)');
    expect(linearRegexProblem('(')).toBe('is not a valid regular expression');
    expect(() => new LinearRegex('(?!x)')).toThrow(/lookahead/);
  });

  it('stays linear where a backtracking engine takes exponential time', () => {
    // Each of these holds JavaScript's engine for longer than the universe's age on these texts.
    const started = performance.now();
    expect(new LinearRegex('(a+)+$').test(`${'a'.repeat(100_000)}b`)).toBe(false);
    expect(new LinearRegex('^(\\w+\\s?)*$').test(`${'a'.repeat(100_000)}!`)).toBe(false);
    expect(new LinearRegex('(a|aa)*c').test('a'.repeat(50_000))).toBe(false);
    expect(new LinearRegex('(x+x+)+y').test(`${'x'.repeat(50_000)}y`)).toBe(true);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('gives the program size that bounds the work of a test', () => {
    const small = new LinearRegex('^prod');
    const large = new LinearRegex('(?:\\b\\w+\\b\\s?){1,1000}x');
    expect(small.programSize).toBeGreaterThan(0);
    expect(small.programSize).toBeLessThan(20);
    expect(large.programSize).toBeGreaterThan(1000);
    expect(large.programSize).toBeLessThanOrEqual(MAX_PROGRAM_SIZE);
  });
});
