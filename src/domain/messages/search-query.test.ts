import { describe, expect, it } from 'vitest';
import { HubError } from '../../core/errors.js';
import { SEARCH_LIMITS, searchTerms } from './search-query.js';

const refusal = (query: string) => {
  try {
    searchTerms(query);
  } catch (err) {
    expect(err).toBeInstanceOf(HubError);
    return { code: (err as HubError).code, message: (err as HubError).message };
  }
  throw new Error(`searchTerms accepted ${JSON.stringify(query.slice(0, 40))}`);
};

describe('search query words', () => {
  it('keeps letters, digits and _ as words, distinct and lower-cased, in any script', () => {
    expect(searchTerms('Deploy the frontend, deploy!')).toEqual(['deploy', 'the', 'frontend']);
    expect(searchTerms('größe 東京 snake_case v2')).toEqual(['größe', '東京', 'snake_case', 'v2']);
  });

  it('reads full-text syntax as plain words or separators, never as operators', () => {
    expect(searchTerms('"zebra* OR NEAR(a b, 2)')).toEqual(['zebra', 'or', 'near', 'a', 'b', '2']);
    expect(searchTerms('subject:secret ^body -x {who} : "p61"')).toEqual([
      'subject',
      'secret',
      'body',
      'x',
      'who',
      'p61',
    ]);
  });

  it('refuses a query without words, naming what counts as one', () => {
    for (const q of ['"', '***', '(( )) :: ^', ' ']) {
      expect(refusal(q)).toMatchObject({
        code: 'invalid_input',
        message: expect.stringMatching(/at least one word/),
      });
    }
  });

  it('refuses too many words and too long a query, naming the limit', () => {
    const words = Array.from({ length: SEARCH_LIMITS.maxTerms + 1 }, (_, i) => `w${i}`).join(' ');
    expect(refusal(words).message).toContain(`at most ${SEARCH_LIMITS.maxTerms}`);
    // Repeated words count once.
    expect(
      searchTerms(
        Array(SEARCH_LIMITS.maxTerms * 2)
          .fill('same')
          .join(' '),
      ),
    ).toEqual(['same']);
    const long = 'a'.repeat(SEARCH_LIMITS.maxQueryChars + 1);
    expect(refusal(long).message).toContain(`at most ${SEARCH_LIMITS.maxQueryChars}`);
    expect(searchTerms('a'.repeat(SEARCH_LIMITS.maxQueryChars))).toHaveLength(1);
  });
});
