/**
 * Keeping secrets out of text that leaves the hub (log lines above all): a URL loses its query string,
 * fragment and user:password, and anything shaped like a hub token (`sb_…`) is masked. Linear time:
 * text is cut into words once and each word is scanned with indexOf, no backtracking patterns.
 */

/** What a redacted part is replaced with. */
export const REDACTED = '[redacted]';

/** A hub token (agent or generated admin token): `sb_` and its base64url secret. */
const TOKEN = /sb_[A-Za-z0-9_-]{16,}/g;

/** Characters that end a word in free text and in a JSON log line (quotes, escapes, brackets, space). */
const WORD = /[^\s"'<>\\`]+/g;

/** Text with everything shaped like a hub token masked (`sb_[redacted]`). */
export function maskHubTokens(text: string): string {
  return text.includes('sb_') ? text.replace(TOKEN, `sb_${REDACTED}`) : text;
}

/**
 * A URL (absolute or a path) without its secrets: `?query` becomes `?[redacted]`, `#fragment` is
 * dropped and `user:password@` becomes `[redacted]@`. Other text is returned unchanged.
 */
export function redactUrl(url: string): string {
  let out = url;
  const scheme = out.indexOf('://');
  if (scheme > 0) {
    const start = scheme + 3;
    let end = out.length;
    for (const stop of ['/', '?', '#']) {
      const at = out.indexOf(stop, start);
      if (at >= 0 && at < end) end = at;
    }
    const at = out.lastIndexOf('@', end);
    if (at >= start) out = `${out.slice(0, start)}${REDACTED}${out.slice(at)}`;
  }
  const hash = out.indexOf('#');
  if (hash >= 0) out = out.slice(0, hash);
  const query = out.indexOf('?');
  if (query >= 0) out = `${out.slice(0, query)}?${REDACTED}`;
  return maskHubTokens(out);
}

/** True when a word reads as a URL or path with a query (not a plain question mark in prose). */
function looksLikeUrl(word: string): boolean {
  if (word.includes('://')) return true;
  const query = word.indexOf('?');
  if (query < 0) return false;
  return word.startsWith('/') || word.indexOf('=', query) > query;
}

function redactWord(word: string): string {
  if (looksLikeUrl(word)) return redactUrl(word);
  return maskHubTokens(word);
}

/** Free text (a log line, an error message) with every URL's secrets and every hub token masked. */
export function redactText(text: string): string {
  if (!text.includes('?') && !text.includes('@') && !text.includes('sb_')) return text;
  return text.replace(WORD, redactWord);
}
