/**
 * The glob patterns leases use: parsing, the limits on new patterns, matching paths, and a sound and
 * complete overlap check.
 *
 * Supported: paths relative to the repository root, `/`-separated. In a segment, `*` matches any run
 * of characters but `/` (dot files included), `?` exactly one such character; a segment that is just
 * `**` matches zero or more whole segments; every other character is literal. A trailing `/` means
 * the directory and everything under it (`src/` = `src/**`); a leading `./` is dropped.
 * Refused: absolute paths, `..` segments, empty segments, backslashes, and the syntax of richer glob
 * dialects (`[...]`, `{...}`, a leading `!`), so that a pattern never means more than it says.
 *
 * Matching and overlap never build a regular expression and never backtrack: both levels (segments
 * of a path, characters of a segment) are star patterns for core/wildcard.ts, whose work is about
 * linear and is paid for from the caller's `WorkBudget`. Two patterns overlap when some path matches
 * both; `globsOverlap` decides exactly that (no false positives, no misses).
 */
import {
  type CharPattern,
  charPattern,
  charsMatch,
  charsOverlap,
  type Fits,
  type Pieces,
  piecesOf,
  starMatch,
  starOverlap,
  unbounded,
  type WorkBudget,
} from '../../core/wildcard.js';
import { LEASE_LIMITS } from './limits.js';

export type Glob = string[];

/** Normalizes a pattern or returns why it is not one we accept (stored patterns are read with this too). */
export function parseGlob(raw: string): { glob: Glob; text: string } | { error: string } {
  if (raw.length === 0) return { error: 'is empty' };
  if (raw.length > LEASE_LIMITS.maxPatternLength)
    return {
      error: `is longer than ${LEASE_LIMITS.maxPatternLength} characters, the most a pattern may have`,
    };
  if (raw.startsWith('/')) return { error: 'is absolute; give a path relative to the repository root' };
  if (/[\\[\]{}]/.test(raw) || raw.startsWith('!'))
    return { error: 'uses syntax outside the supported glob subset (*, **, ?, literal characters)' };
  if ([...raw].some((c) => c.charCodeAt(0) < 32)) return { error: 'contains control characters' };
  let text = raw;
  while (text.startsWith('./')) text = text.slice(2);
  if (text.endsWith('/')) text = `${text}**`;
  const glob = text.split('/');
  if (glob.some((s) => s === '')) return { error: 'has an empty segment (//)' };
  if (glob.some((s) => s === '..' || s === '.')) return { error: 'has a "." or ".." segment' };
  return { glob, text: glob.join('/') };
}

/** A new pattern (acquire_lease): the syntax, and at most `maxStarsPerPattern` stars. */
export function parseNewGlob(raw: string): { glob: Glob; text: string } | { error: string } {
  const parsed = parseGlob(raw);
  if ('error' in parsed) return parsed;
  const stars = [...parsed.text].filter((c) => c === '*').length;
  if (stars > LEASE_LIMITS.maxStarsPerPattern) {
    return {
      error: `has ${stars} "*", more than the ${LEASE_LIMITS.maxStarsPerPattern} a pattern may have; use ** or a directory/ for a whole subtree`,
    };
  }
  return parsed;
}

const GLOBSTAR = '**';

/** A glob ready for matching: its segment patterns, and the segment-level pattern (`**` the star). */
export interface CompiledGlob {
  segments: CharPattern[];
  shape: Pieces;
}

export function compileGlob(glob: Glob): CompiledGlob {
  return {
    segments: glob.map(charPattern),
    shape: piecesOf(glob.length, (i) => glob[i] === GLOBSTAR),
  };
}

const asCompiled = (g: Glob | CompiledGlob): CompiledGlob => (Array.isArray(g) ? compileGlob(g) : g);

/** Segments of `a` from `start` against segments of `b` from `at`: can each pair match a common segment? */
function segmentsFit(a: CompiledGlob, b: CompiledGlob, budget: WorkBudget): Fits {
  return (start, end, at) => {
    for (let i = start, j = at; i < end; i++, j++) {
      if (!charsOverlap(a.segments[i]!, b.segments[j]!, budget)) return false;
    }
    return true;
  };
}

/** Some path matches both patterns. */
export function globsOverlap(
  a: Glob | CompiledGlob,
  b: Glob | CompiledGlob,
  budget: WorkBudget = unbounded(),
): boolean {
  const x = asCompiled(a);
  const y = asCompiled(b);
  return starOverlap(x.shape, y.shape, segmentsFit(x, y, budget), segmentsFit(y, x, budget), budget);
}

/** Does a concrete path, cut into its segments, match the pattern? */
export function segmentsMatch(g: CompiledGlob, segs: string[], budget: WorkBudget = unbounded()): boolean {
  const fits: Fits = (start, end, at) => {
    for (let i = start, j = at; i < end; i++, j++) {
      if (!charsMatch(g.segments[i]!, segs[j]!, budget)) return false;
    }
    return true;
  };
  return starMatch(g.shape, segs.length, fits, budget);
}

/** Does a concrete path match the pattern? */
export function globMatches(
  glob: Glob | CompiledGlob,
  path: string,
  budget: WorkBudget = unbounded(),
): boolean {
  const segs = path.split('/');
  budget.spend(segs.length);
  return segmentsMatch(asCompiled(glob), segs, budget);
}
