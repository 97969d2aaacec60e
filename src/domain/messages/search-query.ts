/**
 * What a search query may be: plain words. Letters, digits and `_` make the words; quotes,
 * operators (`AND`, `NEAR(`, `*`, `^`, `:`) and other punctuation only separate them, so no user text
 * is ever read as full-text query syntax. Every word must occur (in the subject or the body).
 */
import { HubError } from '../../core/errors.js';

export const SEARCH_LIMITS = {
  /** Longest query, in characters. */
  maxQueryChars: 500,
  /** Most distinct words in one query. */
  maxTerms: 32,
} as const;

/** The distinct words of a query, or `invalid_input` that says which limit it passed. */
export function searchTerms(query: string): string[] {
  if (query.length > SEARCH_LIMITS.maxQueryChars) {
    throw new HubError(
      'invalid_input',
      `query is ${query.length} characters; a search query is at most ${SEARCH_LIMITS.maxQueryChars}`,
    );
  }
  const words = query.match(/[\p{L}\p{N}_]+/gu) ?? [];
  const terms = [...new Set(words.map((w) => w.toLowerCase()))];
  if (terms.length === 0) {
    throw new HubError(
      'invalid_input',
      'query: give at least one word (letters or digits); quotes, operators and punctuation are ignored',
    );
  }
  if (terms.length > SEARCH_LIMITS.maxTerms) {
    throw new HubError(
      'invalid_input',
      `query has ${terms.length} different words; a search takes at most ${SEARCH_LIMITS.maxTerms} (every word must occur, so leave out the common ones)`,
    );
  }
  return terms;
}
