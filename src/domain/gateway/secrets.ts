/**
 * Secret references in a downstream server's env and header values: `${env:NAME}` (the hub's
 * environment) and `${file:PATH}` (a file's content, trailing newline dropped), anywhere in a value
 * (`Bearer ${env:K8S_TOKEN}`). They are resolved when the hub connects, handed to the transport, and
 * kept nowhere else: the spec, the store and every view hold the references only. Resolved values are
 * also masked in the downstream's stderr before it is logged.
 */
import { readFileSync } from 'node:fs';
import { SECRET_REFERENCE as REFERENCE } from '../../config/gateway.js';
import { HubError } from '../../core/errors.js';

export interface Resolved {
  env: Record<string, string>;
  headers: Record<string, string>;
  /** The values read from references (to mask in logs). */
  secrets: string[];
}

function resolveValue(value: string, where: string, secrets: string[]): string {
  return value.replace(REFERENCE, (_all, kind: string, name: string) => {
    let resolved: string | undefined;
    if (kind === 'env') {
      resolved = process.env[name];
      if (resolved === undefined) {
        throw new HubError(
          'invalid_input',
          `${where} refers to \${env:${name}}, which is not set in the hub's environment`,
        );
      }
    } else {
      try {
        resolved = readFileSync(name, 'utf8').replace(/\r?\n$/, '');
      } catch (err) {
        throw new HubError(
          'invalid_input',
          `${where} refers to \${file:${name}}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        );
      }
    }
    if (resolved.length > 0) secrets.push(resolved);
    return resolved;
  });
}

/** Resolves every reference in `env` and `headers`; throws naming the field (never a value) when one fails. */
export function resolveSecrets(
  server: string,
  env: Record<string, string>,
  headers: Record<string, string>,
): Resolved {
  const secrets: string[] = [];
  const map = (values: Record<string, string>, field: string) =>
    Object.fromEntries(
      Object.entries(values).map(([k, v]) => [k, resolveValue(v, `${server}: ${field}.${k}`, secrets)]),
    );
  return { env: map(env, 'env'), headers: map(headers, 'headers'), secrets };
}

/** Replaces every secret value in a text by `[secret]`. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('[secret]');
  return out;
}
