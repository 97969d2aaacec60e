import { describe, expect, it } from 'vitest';
import { HIDDEN_VALUE, looksLikePlaceholder } from './placeholders.js';

describe('looksLikePlaceholder', () => {
  it('knows what `switchboard config` printed and what people paste by mistake', () => {
    for (const text of [
      HIDDEN_VALUE,
      '(in /home/me/.switchboard/admin-token)',
      '(set, hidden)',
      '(generated into /home/me/.switchboard/admin-token when the hub starts)',
      '<your admin token here>',
      '[admin-token-goes-here]',
      '${env:SWITCHBOARD_ADMIN_TOKEN}',
      'sb_0123456789abcdef...',
      'sb_0123456789abcdef…',
      '****************',
      'xxxxxxxxxxxxxxxxxxxx',
      'hidden-hidden-hidden',
      'my admin token is long',
    ])
      expect(looksLikePlaceholder(text), text).toBe(true);
  });

  it('accepts real tokens', () => {
    for (const text of [
      'sb_Yk3v9Q2mZr7LxP0aTq8WcN4uJd6HfE1s',
      'a-very-secret-admin-token-123',
      '0123456789abcdef0123456789abcdef',
      'correct_horse_battery_staple',
    ])
      expect(looksLikePlaceholder(text), text).toBe(false);
  });
});
