/**
 * No token reaches an instance's stored or published output, its status reasons or its turn answers:
 * the instance's own token, the admin token, and anything shaped like a hub token are replaced,
 * whatever the CLI printed (defence in depth: the stand-ins and the CLIs should never print them).
 */
import { maskHubTokens, REDACTED } from '../../core/redact.js';

export { REDACTED };

export interface Redactor {
  /** A text with the secrets replaced. */
  text(text: string): string;
  /** A JSON value with the secrets replaced in every string and key (the same value when there were none). */
  value<T>(value: T): T;
}

function replaceAll(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return maskHubTokens(out);
}

function deep(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return replaceAll(value, secrets);
  if (Array.isArray(value)) return value.map((v) => deep(v, secrets));
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [replaceAll(k, secrets), deep(v, secrets)]),
    );
  return value;
}

/** Replaces every given secret (and every token-shaped string). */
export function redactor(secrets: ReadonlyArray<string | null | undefined>): Redactor {
  // Longest first: a secret that contains another is replaced whole.
  const raw = [...new Set(secrets.filter((s): s is string => !!s && s.length >= 8))].sort(
    (a, b) => b.length - a.length,
  );
  // As each appears inside a JSON text (escaped quotes, backslashes, control characters).
  const escaped = raw.map((s) => JSON.stringify(s).slice(1, -1));
  return {
    text: (text) => replaceAll(text, raw),
    value<T>(value: T): T {
      if (typeof value === 'string') return replaceAll(value, raw) as T;
      const json = JSON.stringify(value);
      if (json === undefined) return value;
      const clean = replaceAll(json, escaped);
      if (clean === json) return value;
      try {
        return JSON.parse(clean) as T;
      } catch {
        // A secret matched across an escape sequence (`\n` + a secret starting with n): walk instead.
        return deep(value, raw) as T;
      }
    },
  };
}
