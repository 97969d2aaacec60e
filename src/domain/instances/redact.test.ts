import { describe, expect, it } from 'vitest';
import { newToken } from '../../core/tokens.js';
import { REDACTED, redactor } from './redact.js';

describe('output redaction', () => {
  const own = newToken();
  const admin = 'admin-"secret"\\value-123';
  const r = redactor([own, admin, null, undefined, 'short']);

  it('replaces the given secrets and any token-shaped string in text', () => {
    const other = newToken();
    expect(r.text(`a ${own} b ${admin} c ${other} d`)).toBe(`a ${REDACTED} b ${REDACTED} c sb_${REDACTED} d`);
    // Short strings are not secrets (nothing under 8 characters is replaced).
    expect(r.text('short and sb_x')).toBe('short and sb_x');
  });

  it('replaces them in every string and key of a JSON value, and keeps clean values as they are', () => {
    const clean = { kind: 'text', text: 'nothing here', n: 1 };
    expect(r.value(clean)).toBe(clean);
    expect(r.value({ text: `token=${own}`, nested: [{ [admin]: admin }] })).toEqual({
      text: `token=${REDACTED}`,
      nested: [{ [REDACTED]: REDACTED }],
    });
  });

  it('stays valid when a secret follows an escape sequence', () => {
    const n = redactor(['n12345678']);
    expect(n.value({ text: 'line\nn12345678' })).toEqual({ text: `line\n${REDACTED}` });
    expect(n.value({ text: 'x\\n12345678' })).toEqual({ text: `x\\${REDACTED}` });
    // The JSON text `line\n12345678` holds n12345678 across the escape; the string itself does not.
    expect(n.value({ text: 'line\n12345678' })).toEqual({ text: 'line\n12345678' });
  });
});
