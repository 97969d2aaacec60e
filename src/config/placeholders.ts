/**
 * Text that stands in for a secret and must never be taken for one: what `switchboard config` prints
 * in place of a hidden value, and the placeholder shapes people paste into a config file by mistake
 * (`(in ~/.switchboard/admin-token)`, `<your token>`, `${env:X}`, `sb_...`, `****************`).
 */

/** Printed by `switchboard config` where a secret value was left out; the loader refuses it. */
export const HIDDEN_VALUE = '(hidden by switchboard config)';

const WRAPPED = /^(\(.*\)|<.*>|\[.*\]|\{.*\})$/s;

/** Whether an admin token is a placeholder rather than a token a client could send. */
export function looksLikePlaceholder(token: string): boolean {
  return (
    // A bearer token has no whitespace (`Authorization: Bearer <token>`): such a value can never be sent.
    /\s/.test(token) ||
    WRAPPED.test(token) ||
    token.includes('${') ||
    token.includes('…') ||
    token.includes('...') ||
    /^(.)\1*$/.test(token) ||
    /\b(hidden|redacted)\b/i.test(token)
  );
}

export const PLACEHOLDER_TOKEN_MESSAGE =
  'a placeholder, not a token (`switchboard config` leaves the admin token out of what it prints): ' +
  'remove adminToken to use the token in <home>/admin-token, or set a real one (16+ characters, no ' +
  'spaces) here or in SWITCHBOARD_ADMIN_TOKEN';

export const HIDDEN_VALUE_MESSAGE =
  '`switchboard config` hid this value: put the value back, or a reference such as ${env:NAME} or ${file:PATH}';
