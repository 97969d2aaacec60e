/**
 * Regular expressions run in linear time, for patterns that meet untrusted text (the argument
 * patterns of gateway approval rules test whatever an agent passes). JavaScript's engine backtracks:
 * `^(\w+\s?)*$` against a long argument holds the event loop for minutes. Here a pattern compiles to
 * an automaton that a Pike VM runs over the text once, every state at most once per character:
 * time O(text × pattern), whatever the pattern, and every step is paid for from a `WorkBudget`.
 *
 * The syntax is JavaScript's (no flags): alternation, groups (capturing, `(?:`, `(?<name>`),
 * quantifiers (`* + ? {n} {n,} {n,m}`, lazy or not), `.`, classes with ranges, `\d \w \s` and their
 * negations, `^ $ \b \B`, and the usual escapes. Refused, with the reason: backreferences and
 * lookaround (they need backtracking), and patterns whose counted repeats expand past MAX_STATES.
 * `test` answers exactly as `RegExp.prototype.test` does (checked against it by property tests).
 */
import { type WorkBudget, unbounded } from './wildcard.js';

/** Automaton states one pattern may expand to (counted repeats copy their body). */
export const MAX_STATES = 10_000;

/** A set of UTF-16 code units as sorted, disjoint, inclusive ranges. */
type Ranges = Array<[number, number]>;

const MAX_UNIT = 0xffff;

function normalize(ranges: Ranges): Ranges {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Ranges = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

function complement(ranges: Ranges): Ranges {
  const out: Ranges = [];
  let next = 0;
  for (const [lo, hi] of normalize(ranges)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_UNIT) out.push([next, MAX_UNIT]);
  return out;
}

const code = (c: string) => c.charCodeAt(0);
const DIGIT: Ranges = [[48, 57]];
const WORD: Ranges = [
  [48, 57],
  [65, 90],
  [95, 95],
  [97, 122],
];
const SPACE: Ranges = normalize([
  [9, 13],
  [32, 32],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
]);
const LINE_TERMINATORS: Ranges = [
  [10, 10],
  [13, 13],
  [0x2028, 0x2029],
];
const CLASS_ESCAPES: Record<string, Ranges> = {
  d: DIGIT,
  D: complement(DIGIT),
  w: WORD,
  W: complement(WORD),
  s: SPACE,
  S: complement(SPACE),
};
const CONTROL_ESCAPES: Record<string, number> = { f: 12, n: 10, r: 13, t: 9, v: 11 };

type Assertion = 'bol' | 'eol' | 'word' | 'notword';

type Node =
  | { t: 'set'; ranges: Ranges }
  | { t: 'cat'; items: Node[] }
  | { t: 'alt'; alts: Node[] }
  | { t: 'repeat'; node: Node; min: number; max: number }
  | { t: 'assert'; kind: Assertion };

/** Why a pattern cannot run here; its message says what to change. */
export class UnsupportedRegex extends Error {}

class Parser {
  private i = 0;
  constructor(private readonly src: string) {}

  parse(): Node {
    const node = this.disjunction();
    if (this.i < this.src.length)
      throw new UnsupportedRegex(`has an unexpected "${this.src[this.i]}" at ${this.i}`);
    return node;
  }

  private peek(offset = 0): string | undefined {
    return this.src[this.i + offset];
  }

  private disjunction(): Node {
    const alts = [this.alternative()];
    while (this.peek() === '|') {
      this.i++;
      alts.push(this.alternative());
    }
    return alts.length === 1 ? alts[0]! : { t: 'alt', alts };
  }

  private alternative(): Node {
    const items: Node[] = [];
    while (this.i < this.src.length && this.peek() !== '|' && this.peek() !== ')') {
      const atom = this.term();
      items.push(this.quantified(atom));
    }
    return { t: 'cat', items };
  }

  private quantified(atom: Node): Node {
    let min: number;
    let max: number;
    const c = this.peek();
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const braced = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
      if (!braced) return atom; // a literal `{` follows; the next term reads it
      min = Number(braced[1]);
      max = braced[2] === undefined ? min : braced[3] === '' ? Infinity : Number(braced[3]);
      this.i += braced[0].length - 1;
    } else return atom;
    this.i++;
    if (this.peek() === '?') this.i++; // lazy: the same language
    if (atom.t === 'assert') throw new UnsupportedRegex('repeats an assertion (^, $, \\b or \\B)');
    if (min > MAX_STATES || (max !== Infinity && max > MAX_STATES)) {
      throw new UnsupportedRegex(`has a repeat count above ${MAX_STATES}; make the counts smaller`);
    }
    return { t: 'repeat', node: atom, min, max };
  }

  private term(): Node {
    const c = this.src[this.i++]!;
    switch (c) {
      case '^':
        return { t: 'assert', kind: 'bol' };
      case '$':
        return { t: 'assert', kind: 'eol' };
      case '.':
        return { t: 'set', ranges: complement(LINE_TERMINATORS) };
      case '[':
        return this.charClass();
      case '(':
        return this.group();
      case '\\':
        return this.escape();
      case '*':
      case '+':
      case '?':
        throw new UnsupportedRegex(`has nothing to repeat before "${c}"`);
      default:
        return { t: 'set', ranges: [[code(c), code(c)]] };
    }
  }

  private group(): Node {
    if (this.peek() === '?') {
      const kind = this.src.slice(this.i, this.i + 3);
      if (kind.startsWith('?:')) this.i += 2;
      else if (kind === '?<=' || kind === '?<!' || kind.startsWith('?=') || kind.startsWith('?!')) {
        throw new UnsupportedRegex(
          'uses lookahead or lookbehind ((?=, (?!, (?<=, (?<!), which needs backtracking; rewrite it without',
        );
      } else if (kind.startsWith('?<')) {
        const end = this.src.indexOf('>', this.i);
        if (end < 0) throw new UnsupportedRegex('has an unterminated group name');
        this.i = end + 1;
      } else throw new UnsupportedRegex(`has an unknown group "(${kind}"`);
    }
    const inner = this.disjunction();
    if (this.src[this.i++] !== ')') throw new UnsupportedRegex('has an unterminated group');
    return inner;
  }

  /** After `\` outside a class. */
  private escape(): Node {
    const c = this.src[this.i];
    if (c === 'b' || c === 'B') {
      this.i++;
      return { t: 'assert', kind: c === 'b' ? 'word' : 'notword' };
    }
    return { t: 'set', ranges: this.escapedRanges(false) };
  }

  /** The code units an escape stands for (after the `\`); `inClass`: `\b` is a backspace there. */
  private escapedRanges(inClass: boolean): Ranges {
    const c = this.src[this.i++];
    if (c === undefined) throw new UnsupportedRegex('ends with "\\"');
    const cls = CLASS_ESCAPES[c];
    if (cls) return cls;
    if (c in CONTROL_ESCAPES) return [[CONTROL_ESCAPES[c]!, CONTROL_ESCAPES[c]!]];
    if (inClass && c === 'b') return [[8, 8]];
    if (c === '0' && !/[0-9]/.test(this.peek() ?? '')) return [[0, 0]];
    if (/[0-9]/.test(c)) {
      throw new UnsupportedRegex(
        `uses "\\${c}", a backreference (or an old octal escape), which needs backtracking; rewrite it without`,
      );
    }
    if (c === 'k')
      throw new UnsupportedRegex(
        'uses "\\k", a named backreference, which needs backtracking; rewrite it without',
      );
    if (c === 'c') {
      const letter = this.peek();
      if (!letter || !/[A-Za-z]/.test(letter))
        throw new UnsupportedRegex('has a "\\c" not followed by a letter');
      this.i++;
      return [[code(letter) % 32, code(letter) % 32]];
    }
    const hex = (digits: number): Ranges | undefined => {
      const h = this.src.slice(this.i, this.i + digits);
      if (h.length !== digits || !/^[0-9A-Fa-f]+$/.test(h)) return undefined;
      this.i += digits;
      return [[parseInt(h, 16), parseInt(h, 16)]];
    };
    if (c === 'x') return hex(2) ?? [[code('x'), code('x')]];
    if (c === 'u') return hex(4) ?? [[code('u'), code('u')]];
    return [[code(c), code(c)]]; // an identity escape: `\.` is `.`, `\p` is `p`
  }

  private charClass(): Node {
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.i++;
    }
    const ranges: Ranges = [];
    /** One class atom: a single code unit (number) or a class escape (its ranges). */
    const atom = (): number | Ranges => {
      const c = this.src[this.i++];
      if (c === undefined) throw new UnsupportedRegex('has an unterminated character class');
      if (c !== '\\') return code(c);
      const r = this.escapedRanges(true);
      const single = r.length === 1 && r[0]![0] === r[0]![1] && !Object.values(CLASS_ESCAPES).includes(r);
      return single ? r[0]![0] : r;
    };
    while (this.peek() !== ']') {
      if (this.i >= this.src.length) throw new UnsupportedRegex('has an unterminated character class');
      const from = atom();
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== undefined) {
        this.i++;
        const to = atom();
        if (typeof from === 'number' && typeof to === 'number') {
          if (to < from) throw new UnsupportedRegex('has a class range out of order');
          ranges.push([from, to]);
          continue;
        }
        // `[\d-z]`: not a range; the `-` is itself a member.
        for (const part of [from, code('-'), to]) {
          if (typeof part === 'number') ranges.push([part, part]);
          else ranges.push(...part);
        }
        continue;
      }
      if (typeof from === 'number') ranges.push([from, from]);
      else ranges.push(...from);
    }
    this.i++;
    return { t: 'set', ranges: negated ? complement(ranges) : normalize(ranges) };
  }
}

const enum Op {
  Set,
  Split,
  Jump,
  Assert,
  Match,
}

interface Instruction {
  op: Op;
  ranges?: Ranges;
  kind?: Assertion;
  /** Next instruction (Set, Assert, Jump), or the two branches (Split). */
  x: number;
  y: number;
}

class Compiler {
  readonly prog: Instruction[] = [];

  private emit(ins: Omit<Instruction, 'x' | 'y'> & Partial<Pick<Instruction, 'x' | 'y'>>): number {
    if (this.prog.length >= MAX_STATES) {
      throw new UnsupportedRegex(
        `expands to more than ${MAX_STATES} states (large counted repeats such as {1000}); make the counts smaller`,
      );
    }
    this.prog.push({ x: -1, y: -1, ...ins });
    return this.prog.length - 1;
  }

  /** Emits `node`; every dangling exit is patched to the instruction that follows. */
  compile(node: Node): void {
    switch (node.t) {
      case 'set': {
        const at = this.emit({ op: Op.Set, ranges: node.ranges });
        this.prog[at]!.x = at + 1;
        return;
      }
      case 'assert': {
        const at = this.emit({ op: Op.Assert, kind: node.kind });
        this.prog[at]!.x = at + 1;
        return;
      }
      case 'cat':
        for (const item of node.items) this.compile(item);
        return;
      case 'alt': {
        const jumps: number[] = [];
        node.alts.forEach((alt, k) => {
          if (k < node.alts.length - 1) {
            const split = this.emit({ op: Op.Split });
            this.prog[split]!.x = split + 1;
            this.compile(alt);
            jumps.push(this.emit({ op: Op.Jump }));
            this.prog[split]!.y = this.prog.length;
          } else this.compile(alt);
        });
        for (const j of jumps) this.prog[j]!.x = this.prog.length;
        return;
      }
      case 'repeat': {
        for (let k = 0; k < node.min; k++) this.compile(node.node);
        if (node.max === Infinity) {
          const split = this.emit({ op: Op.Split });
          this.prog[split]!.x = split + 1;
          this.compile(node.node);
          const back = this.emit({ op: Op.Jump });
          this.prog[back]!.x = split;
          this.prog[split]!.y = this.prog.length;
          return;
        }
        const splits: number[] = [];
        for (let k = node.min; k < node.max; k++) {
          const split = this.emit({ op: Op.Split });
          this.prog[split]!.x = split + 1;
          splits.push(split);
          this.compile(node.node);
        }
        for (const s of splits) this.prog[s]!.y = this.prog.length;
        return;
      }
    }
  }
}

const inRanges = (ranges: Ranges, c: number): boolean => {
  for (const [lo, hi] of ranges) {
    if (c < lo) return false;
    if (c <= hi) return true;
  }
  return false;
};

const isWordUnit = (c: number): boolean => inRanges(WORD, c);

/** A compiled pattern: `test(text)` as `RegExp.prototype.test`, in time linear in the text. */
export class LinearRegex {
  private readonly prog: Instruction[];

  constructor(readonly source: string) {
    const compiler = new Compiler();
    compiler.compile(new Parser(source).parse());
    compiler.prog.push({ op: Op.Match, x: -1, y: -1 });
    this.prog = compiler.prog;
  }

  /** Does the pattern match somewhere in `text`? Throws `WorkExhausted` when the budget runs out. */
  test(text: string, budget: WorkBudget = unbounded()): boolean {
    const size = this.prog.length;
    let current = new Int32Array(size);
    let next = new Int32Array(size);
    const seen = new Int32Array(size).fill(-1);
    // Each state is expanded once per position and pushes at most two others.
    const stack = new Int32Array(2 * size + 1);
    let count = 0;
    let nextCount = 0;
    /** Marks states already in the list being built (one generation per position). */
    let generation = 0;

    /** Adds `pc` and everything reachable from it without reading a character, at position `pos`. */
    const add = (list: Int32Array, length: number, start: number, pos: number): number | -1 => {
      let top = 0;
      stack[top++] = start;
      while (top > 0) {
        const pc = stack[--top]!;
        if (seen[pc] === generation) continue;
        seen[pc] = generation;
        budget.spend();
        const ins = this.prog[pc]!;
        switch (ins.op) {
          case Op.Match:
            return -1;
          case Op.Jump:
            stack[top++] = ins.x;
            break;
          case Op.Split:
            stack[top++] = ins.y;
            stack[top++] = ins.x;
            break;
          case Op.Assert:
            if (this.holds(ins.kind!, text, pos)) stack[top++] = ins.x;
            break;
          case Op.Set:
            list[length++] = pc;
            break;
        }
      }
      return length;
    };

    for (let pos = 0; ; pos++) {
      // A new attempt starts at every position (the search is unanchored).
      const added = add(current, count, 0, pos);
      if (added === -1) return true;
      count = added;
      if (pos === text.length) return false;
      const c = text.charCodeAt(pos);
      generation++;
      nextCount = 0;
      for (let k = 0; k < count; k++) {
        const ins = this.prog[current[k]!]!;
        budget.spend();
        if (!inRanges(ins.ranges!, c)) continue;
        const reached = add(next, nextCount, ins.x, pos + 1);
        if (reached === -1) return true;
        nextCount = reached;
      }
      [current, next] = [next, current];
      count = nextCount;
    }
  }

  private holds(kind: Assertion, text: string, pos: number): boolean {
    switch (kind) {
      case 'bol':
        return pos === 0;
      case 'eol':
        return pos === text.length;
      case 'word':
      case 'notword': {
        const before = pos > 0 && isWordUnit(text.charCodeAt(pos - 1));
        const after = pos < text.length && isWordUnit(text.charCodeAt(pos));
        return (before !== after) === (kind === 'word');
      }
    }
  }
}

/** Why `source` cannot be a linear-time pattern (not valid JavaScript, or outside the subset); undefined when it can. */
export function linearRegexProblem(source: string): string | undefined {
  try {
    new RegExp(source);
  } catch {
    return 'is not a valid regular expression';
  }
  try {
    new LinearRegex(source);
    return undefined;
  } catch (err) {
    if (err instanceof UnsupportedRegex) return `${err.message} (patterns run in linear time here)`;
    throw err;
  }
}
