/**
 * The glob patterns leases use, and a sound and complete overlap check for them.
 *
 * Supported: paths relative to the repository root, `/`-separated. In a segment, `*` matches any run
 * of characters but `/` (dot files included), `?` exactly one such character; a segment that is just
 * `**` matches zero or more whole segments; every other character is literal. A trailing `/` means
 * the directory and everything under it (`src/` = `src/**`); a leading `./` is dropped.
 * Refused: absolute paths, `..` segments, empty segments, backslashes, and the syntax of richer glob
 * dialects (`[...]`, `{...}`, a leading `!`), so that a pattern never means more than it says.
 *
 * Two patterns overlap when some path matches both. `globsOverlap` decides exactly that (no false
 * positives, no misses) by a memoized walk over both patterns at once, segment by segment and within
 * a segment character by character.
 */

export type Glob = string[];

export const MAX_GLOB_LENGTH = 1024;

/** Normalizes a pattern or returns why it is not one we accept. */
export function parseGlob(raw: string): { glob: Glob; text: string } | { error: string } {
  if (raw.length === 0) return { error: 'is empty' };
  if (raw.length > MAX_GLOB_LENGTH) return { error: `is longer than ${MAX_GLOB_LENGTH} characters` };
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

/** Can two segment patterns (`*`, `?`, literals) match one common non-empty segment? */
function segmentsOverlap(p: string, q: string): boolean {
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const k = i * (q.length + 1) + j;
    const known = memo.get(k);
    if (known !== undefined) return known;
    let r: boolean;
    if (i === p.length && j === q.length) r = true;
    else if (p[i] === '*') r = go(i + 1, j) || (j < q.length && go(i, j + 1));
    else if (q[j] === '*') r = go(i, j + 1) || (i < p.length && go(i + 1, j));
    else if (i === p.length || j === q.length) r = false;
    else r = (p[i] === '?' || q[j] === '?' || p[i] === q[j]) && go(i + 1, j + 1);
    memo.set(k, r);
    return r;
  };
  // Both patterns are non-empty, so a common match that is empty implies both are all `*`,
  // and then they also share any one-character segment.
  return go(0, 0);
}

/** Some path matches both patterns. */
export function globsOverlap(a: Glob, b: Glob): boolean {
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const k = i * (b.length + 1) + j;
    const known = memo.get(k);
    if (known !== undefined) return known;
    let r: boolean;
    if (i === a.length && j === b.length) r = true;
    else if (a[i] === '**') r = go(i + 1, j) || (j < b.length && go(i, j + 1));
    else if (b[j] === '**') r = go(i, j + 1) || (i < a.length && go(i + 1, j));
    else if (i === a.length || j === b.length) r = false;
    else r = segmentsOverlap(a[i] as string, b[j] as string) && go(i + 1, j + 1);
    memo.set(k, r);
    return r;
  };
  return go(0, 0);
}

const segmentRegex = (seg: string): RegExp =>
  new RegExp(
    `^${seg
      .split('')
      .map((c) => (c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
  );

/** A matcher for concrete paths, built once per pattern. */
export function compileGlob(glob: Glob): (path: string) => boolean {
  const res = glob.map((s) => (s === '**' ? null : segmentRegex(s)));
  return (path) => {
    const segs = path.split('/');
    const memo = new Map<number, boolean>();
    const go = (i: number, j: number): boolean => {
      const k = i * (segs.length + 1) + j;
      const known = memo.get(k);
      if (known !== undefined) return known;
      let r: boolean;
      if (i === res.length) r = j === segs.length;
      else if (res[i] === null) r = go(i + 1, j) || (j < segs.length && go(i, j + 1));
      else r = j < segs.length && (res[i] as RegExp).test(segs[j] as string) && go(i + 1, j + 1);
      memo.set(k, r);
      return r;
    };
    return go(0, 0);
  };
}

/** Does a concrete path match the pattern? */
export function globMatches(glob: Glob, path: string): boolean {
  return compileGlob(glob)(path);
}
