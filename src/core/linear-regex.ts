/**
 * Regular expressions that meet untrusted text (the argument patterns of gateway approval rules test
 * whatever an agent passes) run on re2js, a port of Google's RE2: no backtracking, so the time of a
 * test is at most proportional to the text's length times the compiled program's size, whatever the
 * pattern. (JavaScript's engine backtracks: `^(\w+\s?)*$` against a long argument holds the event
 * loop for minutes.)
 *
 * Patterns are written in JavaScript's syntax, without flags (they must compile with `new RegExp`),
 * and re2js's `translateRegExp` turns them into RE2's. Refused, with the reason: what RE2 cannot run
 * (backreferences, lookaround), escapes RE2 reads differently from JavaScript, patterns longer than
 * MAX_PATTERN_LENGTH and programs larger than MAX_PROGRAM_SIZE. Matching follows RE2 where the two
 * differ: the text is read by code point, `.` matches anything but `\n`, `\s` is ASCII whitespace,
 * and `\u{…}` / `\x{…}` name a code point.
 */
import { RE2JS, RE2JSSyntaxException } from 're2js';

/** Characters in one pattern. */
export const MAX_PATTERN_LENGTH = 1_000;

/** RE2 instructions one pattern may compile to (counted repeats copy their body). */
export const MAX_PROGRAM_SIZE = 10_000;

/** Why a pattern cannot run here; its message says what to change. */
export class UnsupportedRegex extends Error {}

const BACKTRACKING = 'which needs backtracking; rewrite it without';

/** Escapes JavaScript (without flags) reads as the plain letter but RE2 as something else: `\p{L}`, `\A`, `\Q…\E`. */
const RE2_ONLY_ESCAPES = new Set(['a', 'A', 'z', 'Q', 'E', 'p', 'P']);

/** Refuses the escapes whose meaning RE2 cannot keep: backreferences and RE2-only letters. */
function checkEscapes(source: string): void {
  for (let i = 0; i < source.length; i++) {
    if (source[i] !== '\\') continue;
    const c = source[++i];
    if (c !== undefined && c >= '1' && c <= '9') {
      throw new UnsupportedRegex(`uses "\\${c}", a backreference (or an old octal escape), ${BACKTRACKING}`);
    }
    if (c === 'k') throw new UnsupportedRegex(`uses "\\k", a named backreference, ${BACKTRACKING}`);
    if (c !== undefined && RE2_ONLY_ESCAPES.has(c)) {
      throw new UnsupportedRegex(
        `uses "\\${c}", a plain "${c}" in JavaScript that RE2 reads otherwise; write "${c}" without the backslash`,
      );
    }
  }
}

/** The reason RE2 gave, said in the pattern author's terms where it is a known one. */
function explain(err: RE2JSSyntaxException): string {
  const at = err.input ?? '';
  if (/^\(\?(=|!|<=|<!)/.test(at)) {
    return `uses lookahead or lookbehind ((?=, (?!, (?<=, (?<!), ${BACKTRACKING}`;
  }
  if (err.error === 'invalid repeat count') {
    return `has a repeat count RE2 refuses (${at}): counts go up to 1000, nested ones multiplied together`;
  }
  return `cannot run on RE2: ${err.error}${at ? ` (${at})` : ''}`;
}

/** A compiled pattern: `test(text)` as `RegExp.prototype.test` (but for the differences above), in linear time. */
export class LinearRegex {
  private readonly re: RE2JS;
  /**
   * The compiled program's size: testing a text costs at most about this many steps per character,
   * so `text.length * programSize` bounds a test's work before it runs.
   */
  readonly programSize: number;

  /** Throws `UnsupportedRegex` saying why when the pattern cannot run here. */
  constructor(readonly source: string) {
    if (source.length > MAX_PATTERN_LENGTH) {
      throw new UnsupportedRegex(`is longer than ${MAX_PATTERN_LENGTH} characters`);
    }
    try {
      new RegExp(source);
    } catch {
      throw new UnsupportedRegex('is not a valid regular expression');
    }
    checkEscapes(source);
    try {
      this.re = RE2JS.compile(RE2JS.translateRegExp(source));
    } catch (err) {
      if (err instanceof RE2JSSyntaxException) throw new UnsupportedRegex(explain(err));
      throw err;
    }
    this.programSize = this.re.programSize();
    if (this.programSize > MAX_PROGRAM_SIZE) {
      throw new UnsupportedRegex(
        `compiles to ${this.programSize} instructions, more than ${MAX_PROGRAM_SIZE} (large counted repeats such as {1000}); make the counts smaller`,
      );
    }
  }

  /** Does the pattern match somewhere in `text`? */
  test(text: string): boolean {
    return this.re.test(text);
  }
}

/** Why `source` cannot be a linear-time pattern; undefined when it can. */
export function linearRegexProblem(source: string): string | undefined {
  try {
    new LinearRegex(source);
    return undefined;
  } catch (err) {
    if (err instanceof UnsupportedRegex) return err.message;
    throw err;
  }
}
