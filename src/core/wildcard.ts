/**
 * Wildcard matching without backtracking, for every pattern a user hands the hub (lease globs, tool
 * globs of gateway approvals). A pattern is a sequence of elements; a star element matches any run
 * of items (empty included), every other element exactly one item it is compatible with.
 *
 * - `starMatch`: a pattern against a star-free sequence. The pattern splits at its stars into pieces;
 *   the first piece is anchored at the start, the last at the end, and each piece between them is
 *   placed at its leftmost fit after the previous one. Leftmost is always safe: a later piece can
 *   only gain room. Work: at most (items + pieces) × the longest piece comparisons, never exponential.
 * - `starOverlap`: can some sequence match both of two patterns? With a star on one side only, that
 *   is `starMatch` with the star-free side as the sequence. With stars on both sides they overlap
 *   exactly when their leading pieces agree where both have elements and so do their trailing pieces:
 *   the common sequence is then the merged head, everything else of both, and the merged tail, each
 *   star swallowing the other side's middle. Work: linear.
 *
 * Both take the comparison of a run of elements as a `Fits` function, so that characters compare in a
 * tight loop and path segments compare as whole segment patterns. Every comparison is paid for from a
 * `WorkBudget`, so a caller can bound the total work of a request that matches many patterns.
 */

/** Thrown by `WorkBudget.spend` when a request's matching work runs out. */
export class WorkExhausted extends Error {
  constructor(readonly limit: number) {
    super(`matching work exceeded ${limit} steps`);
  }
}

/** A count of comparisons a request may still make; `spend` throws `WorkExhausted` past it. */
export class WorkBudget {
  private spent = 0;
  constructor(readonly limit: number) {}
  spend(steps = 1): void {
    this.spent += steps;
    if (this.spent > this.limit) throw new WorkExhausted(this.limit);
  }
  /** Comparisons made so far (at most the limit). */
  get used(): number {
    return Math.min(this.spent, this.limit);
  }
}

/** No limit: for inputs that are small and bounded by construction. */
export const unbounded = (): WorkBudget => new WorkBudget(Infinity);

/** A pattern cut at its stars, computed once per pattern and reused for every match. */
export interface Pieces {
  length: number;
  /** `[start, end)` of the maximal runs of non-star elements. */
  pieces: Array<[number, number]>;
  stars: boolean;
  /** Elements before the first star, and after the last one. */
  lead: number;
  trail: number;
}

export function piecesOf(length: number, isStar: (i: number) => boolean): Pieces {
  const pieces: Array<[number, number]> = [];
  let stars = false;
  let start = 0;
  for (let i = 0; i <= length; i++) {
    if (i === length || isStar(i)) {
      if (i < length) stars = true;
      if (i > start) pieces.push([start, i]);
      start = i + 1;
    }
  }
  const head = pieces[0];
  const tail = pieces[pieces.length - 1];
  return {
    length,
    pieces,
    stars,
    lead: head && head[0] === 0 ? head[1] : 0,
    trail: tail && tail[1] === length ? tail[1] - tail[0] : 0,
  };
}

/**
 * Do the pattern's elements `[start, end)` fit the items from `at` on, one by one? Pays for its own
 * comparisons.
 */
export type Fits = (start: number, end: number, at: number) => boolean;

/** Does pattern `p` match a star-free sequence of `m` items, compared by `fits`? */
export function starMatch(p: Pieces, m: number, fits: Fits, budget: WorkBudget): boolean {
  budget.spend();
  if (!p.stars) return p.length === m && fits(0, p.length, 0);
  if (p.lead + p.trail > m) return false;
  if (!fits(0, p.lead, 0) || !fits(p.length - p.trail, p.length, m - p.trail)) return false;
  const { pieces } = p;
  let lo = p.lead;
  const hi = m - p.trail;
  const last = p.trail > 0 ? pieces.length - 1 : pieces.length;
  for (let k = p.lead > 0 ? 1 : 0; k < last; k++) {
    const piece = pieces[k]!;
    const start = piece[0];
    const len = piece[1] - start;
    let at = lo;
    for (; at + len <= hi; at++) {
      budget.spend();
      if (fits(start, start + len, at)) break;
    }
    if (at + len > hi) return false;
    lo = at + len;
  }
  return true;
}

/**
 * Is there a sequence both patterns match? `ab(start, end, at)` fits elements of `a` against elements
 * of `b` (some single item matches both), `ba` the other way round. Every non-star element must match
 * at least one item on its own.
 */
export function starOverlap(a: Pieces, b: Pieces, ab: Fits, ba: Fits, budget: WorkBudget): boolean {
  budget.spend();
  if (!a.stars) return starMatch(b, a.length, ba, budget);
  if (!b.stars) return starMatch(a, b.length, ab, budget);
  const heads = Math.min(a.lead, b.lead);
  const tails = Math.min(a.trail, b.trail);
  return ab(0, heads, 0) && ab(a.length - tails, a.length, b.length - tails);
}

const STAR = 42; // '*'
const ANY = 63; // '?'

/** A pattern over the characters of a string: `*` any run, `?` any one character, the rest literal. */
export interface CharPattern {
  text: string;
  shape: Pieces;
  /** Neither `*` nor `?`: matches its own text only. */
  literal: boolean;
}

export function charPattern(text: string): CharPattern {
  const shape = piecesOf(text.length, (i) => text.charCodeAt(i) === STAR);
  return { text, shape, literal: !shape.stars && !text.includes('?') };
}

/**
 * Characters of `pattern` against characters of `text`, where a `?` in the pattern matches anything
 * and, when `textWild`, so does a `?` in the text (the text is then a star-free pattern itself).
 */
function charFits(pattern: string, text: string, textWild: boolean, budget: WorkBudget): Fits {
  return (start, end, at) => {
    let i = start;
    for (let j = at; i < end; i++, j++) {
      const c = pattern.charCodeAt(i);
      const d = text.charCodeAt(j);
      if (c !== d && c !== ANY && !(textWild && d === ANY)) break;
    }
    budget.spend(i - start + 1);
    return i === end;
  };
}

/** Does a character pattern match this text (whose `*` and `?` are plain characters)? */
export function charsMatch(p: CharPattern, text: string, budget: WorkBudget): boolean {
  if (p.literal) {
    budget.spend();
    return p.text === text;
  }
  return starMatch(p.shape, text.length, charFits(p.text, text, false, budget), budget);
}

/** Does some text match both character patterns? */
export function charsOverlap(p: CharPattern, q: CharPattern, budget: WorkBudget): boolean {
  if (p.literal && q.literal) {
    budget.spend();
    return p.text === q.text;
  }
  return starOverlap(
    p.shape,
    q.shape,
    charFits(p.text, q.text, true, budget),
    charFits(q.text, p.text, true, budget),
    budget,
  );
}

/**
 * A simple glob over a whole string: `*` any run of characters, `?` exactly one, the rest literal.
 * For tool-name globs (`k8s__delete_*`); lease globs add path segments on top (leases/globs.ts).
 */
export function simpleGlobMatches(glob: string | CharPattern, text: string, budget = unbounded()): boolean {
  return charsMatch(typeof glob === 'string' ? charPattern(glob) : glob, text, budget);
}
