/**
 * Namespaced tool names: `<server><separator><tool>`, always `^[a-zA-Z0-9_-]{1,64}$`. A downstream
 * name that is too long or has other characters becomes a sanitized prefix plus a short hash of the
 * original. Server names contain no `_` and the separator does, so names of different servers never
 * meet; within one server a clash (a plain name equal to another tool's hashed one) is resolved by
 * hashing every clashing name with a longer hash, which depends only on the set of names.
 */
import { createHash } from 'node:crypto';

export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX = 64;

const hash = (text: string, length: number): string =>
  createHash('sha256').update(text).digest('hex').slice(0, length);

function hashed(prefix: string, tool: string, length: number): string {
  const suffix = `_${hash(tool, length)}`;
  const room = MAX - prefix.length - suffix.length;
  const safe = tool.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, Math.max(0, room));
  return `${prefix}${safe}${suffix}`;
}

/** The exposed name of one tool, ignoring clashes with siblings. */
export function exposedName(server: string, tool: string, separator: string): string {
  const prefix = `${server}${separator}`;
  const plain = `${prefix}${tool}`;
  return TOOL_NAME.test(plain) ? plain : hashed(prefix, tool, 8);
}

/** Exposed name → downstream name for all tools of one server; deterministic for a given set. */
export function namespaceTools(
  server: string,
  tools: readonly string[],
  separator: string,
): Map<string, string> {
  const prefix = `${server}${separator}`;
  const first = new Map<string, string[]>();
  for (const tool of new Set(tools)) {
    const name = exposedName(server, tool, separator);
    first.set(name, [...(first.get(name) ?? []), tool]);
  }
  const out = new Map<string, string>();
  for (const [name, owners] of first) {
    if (owners.length === 1) out.set(name, owners[0]);
    else for (const tool of owners) out.set(hashed(prefix, tool, 16), tool);
  }
  return out;
}

/**
 * Resource URIs of downstream servers: `<server>+<original-uri>` (`k8s+file:///etc/hosts`,
 * `conf+test://template/{id}/data` for a template). Server names have no `+`, so the first `+` splits
 * the two and any original URI, template or not, comes back unchanged. The passthrough server's
 * resources keep their own URIs.
 */
export const URI_SEPARATOR = '+';

export const exposedUri = (server: string, uri: string): string => `${server}${URI_SEPARATOR}${uri}`;

/** The server-name prefix of an exposed URI and the original URI, or undefined when there is none. */
export function splitExposedUri(uri: string): { server: string; original: string } | undefined {
  const at = uri.indexOf(URI_SEPARATOR);
  if (at <= 0) return undefined;
  return { server: uri.slice(0, at), original: uri.slice(at + 1) };
}
