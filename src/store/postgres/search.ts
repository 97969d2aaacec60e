/**
 * Message search on PostgreSQL without a query language: words are cut in JavaScript the way SQLite's
 * FTS5 `unicode61` tokenizer cuts them (letters, digits and private-use characters form words;
 * everything else separates; case and Latin diacritics folded away), stored with each message as
 * the `search_words` array (GIN-indexed, with column statistics so the planner knows rare words from
 * common ones). A search asks for messages whose array holds every word of every term, and for a
 * term of several words (`snake_case` is `snake` `case`, as in FTS5) that those words stand side by
 * side in the subject or in the body (`strpos` on the array joined by spaces). No input is ever
 * parsed by PostgreSQL: the words travel as array and text parameters.
 *
 * `to_tsvector` was the other choice; its parser reads `src/a.ts` or `a@b.io` as one file or email
 * token, so a search for `a` would miss them where SQLite finds them. This keeps both stores equal.
 */

const fold = (text: string): string =>
  text
    .toLowerCase()
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .normalize('NFC');

/**
 * Longest word kept whole, in characters: a GIN index entry holds at most ~2,700 bytes, and a word of
 * 500 characters is at most 2,000 bytes of UTF-8. A longer word (a 256 KiB run of one letter, say)
 * is kept as its first 500 characters, when stored and when searched alike, so it is still found.
 */
export const LONGEST_WORD = 500;

/** The words of a text, as FTS5's default tokenizer would index them (but for LONGEST_WORD). */
export function words(text: string): string[] {
  return (fold(text).match(/[\p{L}\p{N}\p{Co}]+/gu) ?? []).map((w) =>
    w.length > LONGEST_WORD ? [...w].slice(0, LONGEST_WORD).join('') : w,
  );
}

/**
 * A participant's entry in the word array: `@` and the hex of its id. No word can start with `@`,
 * so it never matches a term; a viewer's search requires its entry, so the GIN index intersects the
 * words with the viewer's own messages (as SQLite's `who` column does) and messages the viewer
 * cannot see cost it nothing however many of them hold the words.
 */
export function participantEntry(agentId: string): string {
  return `@${Buffer.from(agentId, 'utf8').toString('hex')}`;
}

/** Between the subject's words, the body's and the participants': no phrase spans two parts. */
export const PART_BREAK = '|';

/**
 * The stored word array: the subject's words, `|`, the body's words, `|`, the participants' entries.
 * A phrase is found as ` a b ` in the array joined by spaces (no word holds a space or a `|`).
 */
export function searchArray(subject: string | null, bodyJson: string, participants: string[]): string[] {
  const who = [...new Set(participants)].map(participantEntry);
  return [...words(subject ?? ''), PART_BREAK, ...words(bodyJson), PART_BREAK, ...who];
}

export interface SearchWords {
  /** Every word of every term: the message's word array must hold them all. */
  all: string[];
  /** Terms of more than one word, as ` w1 w2 `: each must occur in the joined word array. */
  phrases: string[];
  /** No term has a word (only `_`, say): nothing matches, as in FTS5 (which skips empty terms otherwise). */
  impossible: boolean;
}

/** What a search asks of the word array; with a viewer, its participant entry as well. */
export function searchWords(terms: string[], viewer: string | null): SearchWords {
  const all = new Set<string>();
  const phrases: string[] = [];
  for (const term of terms) {
    const ws = words(term);
    for (const w of ws) all.add(w);
    if (ws.length > 1) phrases.push(` ${ws.join(' ')} `);
  }
  const impossible = all.size === 0;
  if (viewer) all.add(participantEntry(viewer));
  return { all: [...all], phrases, impossible };
}
