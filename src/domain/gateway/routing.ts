/**
 * Which server is behind a name our clients see: exposed tool and prompt names are prefixed
 * `<server><separator>` (names.ts keeps them valid), resource URIs `<server>+<uri>`; the passthrough
 * server (`gateway.passthrough`) keeps its own names and URIs and answers for any it has.
 */
import { HubError } from '../../core/errors.js';
import { exposedUri, namespaceTools, splitExposedUri } from './names.js';
import { type Entry, gatewayConfig, type GatewayState } from './state.js';

export const isPassthrough = (st: GatewayState, server: string): boolean =>
  gatewayConfig(st).passthrough === server;

/** Exposed name → downstream name: prefixed (and kept valid), or as-is for the passthrough server. */
export function exposedNames(st: GatewayState, server: string, names: string[]): Map<string, string> {
  if (isPassthrough(st, server)) return new Map(names.map((n) => [n, n]));
  return namespaceTools(server, names, gatewayConfig(st).separator);
}

/** The URI our clients see for a downstream URI of `server`. */
export const uriOf = (st: GatewayState, server: string, uri: string): string =>
  isPassthrough(st, server) ? uri : exposedUri(server, uri);

/**
 * The server behind an exposed tool or prompt name: the passthrough server when it has that name,
 * else the `<server><separator>` prefix.
 */
export function entryForName(
  st: GatewayState,
  name: string,
  names: (e: Entry) => Map<string, unknown>,
): Entry | undefined {
  const passthrough = gatewayConfig(st).passthrough;
  const pass = passthrough ? st.entries.get(passthrough) : undefined;
  if (pass && names(pass).has(name)) return pass;
  const server = name.slice(0, Math.max(0, name.indexOf('_'))).replace(/-+$/, '');
  if (isPassthrough(st, server)) return pass;
  return st.entries.get(server);
}

/**
 * The server and original URI behind an exposed resource URI: `<server>+<uri>` of a known server,
 * else (when configured) the passthrough server with the URI as it is. Undefined: not a downstream URI.
 */
export function resolveUri(st: GatewayState, uri: string): { server: string; original: string } | undefined {
  const split = splitExposedUri(uri);
  if (split && st.entries.has(split.server) && !isPassthrough(st, split.server)) return split;
  const pass = gatewayConfig(st).passthrough;
  if (pass && st.entries.has(pass)) return { server: pass, original: uri };
  return undefined;
}

/** The entry of `server` when it is connected; else not_found / unavailable naming `what` was asked for. */
export function readyEntry(st: GatewayState, server: string, what: string): Entry {
  const entry = st.entries.get(server);
  if (!entry) throw new HubError('not_found', `No downstream ${what}`);
  if (entry.conn.state !== 'ready') {
    throw new HubError(
      'unavailable',
      `${server} does not offer ${what} right now (${entry.conn.state}); see server_health`,
    );
  }
  return entry;
}
