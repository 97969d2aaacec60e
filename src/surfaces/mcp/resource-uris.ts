/** The hub's MCP resources and who may read or watch them. */
import type { Caller } from '../../core/caller.js';
import { HubError } from '../../core/errors.js';
import type { Services } from '../../domain/index.js';
import type { ContextScope } from '../../store/context.js';

export const AGENTS_URI = 'switchboard://agents';
export const INBOX_TEMPLATE = 'switchboard://inbox/{agent_id}';
const INBOX_PREFIX = 'switchboard://inbox/';
/** `<scope>` is `global` or `<kind>:<id>` (`project:acme`, `session:s1`, `conversation:<thread>`, `agent:<id>`). */
export const CONTEXT_TEMPLATE = 'switchboard://context/{scope}/{key}';
const CONTEXT_PREFIX = 'switchboard://context/';
const CONTEXT_KINDS = ['project', 'session', 'conversation', 'agent'];

export type ResourceTarget =
  | { kind: 'agents' }
  | { kind: 'inbox'; agentId: string }
  | { kind: 'context'; scope: string; scopeId: string; key: string }
  /** A downstream server's resource (gateway); `hold` keeps the downstream subscription while watched. */
  | { kind: 'gateway'; uri: string; hold: () => () => void };

export const inboxUri = (agentId: string): string => `${INBOX_PREFIX}${encodeURIComponent(agentId)}`;

export const contextUri = (scope: string, scopeId: string, key: string): string =>
  `${CONTEXT_PREFIX}${scope === 'global' ? 'global' : encodeURIComponent(`${scope}:${scopeId}`)}/${encodeURIComponent(key)}`;

function parseContextUri(rest: string): ResourceTarget | undefined {
  const parts = rest.split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  try {
    const scopePart = decodeURIComponent(parts[0]);
    const key = decodeURIComponent(parts[1]);
    if (scopePart === 'global') return { kind: 'context', scope: 'global', scopeId: '', key };
    const colon = scopePart.indexOf(':');
    const scope = scopePart.slice(0, colon);
    const scopeId = scopePart.slice(colon + 1);
    if (colon < 0 || !CONTEXT_KINDS.includes(scope) || !scopeId) return undefined;
    return { kind: 'context', scope, scopeId, key };
  } catch {
    return undefined;
  }
}

export function parseResourceUri(uri: string): ResourceTarget | undefined {
  if (uri === AGENTS_URI) return { kind: 'agents' };
  if (uri.startsWith(CONTEXT_PREFIX)) return parseContextUri(uri.slice(CONTEXT_PREFIX.length));
  if (uri.startsWith(INBOX_PREFIX)) {
    const rest = uri.slice(INBOX_PREFIX.length);
    if (!rest || rest.includes('/')) return undefined;
    try {
      return { kind: 'inbox', agentId: decodeURIComponent(rest) };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Throws unless the caller may watch this resource: the agent list is public, an inbox is its agent's (or the admin's). */
export function authorizeWatch(caller: Caller, uri: string): ResourceTarget {
  const target = parseResourceUri(uri);
  if (!target) {
    throw new HubError(
      'not_found',
      `Unknown resource ${uri}; the hub has ${AGENTS_URI}, ${INBOX_PREFIX}<agent_id> and ` +
        `${CONTEXT_PREFIX}<global|project:ID|session:ID|conversation:ID|agent:ID>/<key>`,
    );
  }
  // Context: an agent identity is needed here; authorizeResource applies the scope's read rule.
  if (target.kind === 'context' && caller.kind === 'anonymous') {
    throw new HubError(
      'unauthorized',
      `${uri} needs an agent identity: send Authorization: Bearer <agent token>`,
    );
  }
  if (
    target.kind === 'inbox' &&
    caller.kind !== 'admin' &&
    !(caller.kind === 'agent' && caller.agentId === target.agentId)
  ) {
    throw new HubError(
      caller.kind === 'anonymous' ? 'unauthorized' : 'forbidden',
      `${uri} is readable only by agent ${target.agentId} (or the admin)` +
        (caller.kind === 'anonymous' ? ': send Authorization: Bearer <agent token>' : ''),
    );
  }
  return target;
}

/**
 * authorizeWatch plus the read rule of a context key's scope: whoever may not read a key (another
 * project's, a thread the agent took no part in) may not watch it either, so learns nothing of its changes.
 */
export async function authorizeResource(
  services: Services,
  caller: Caller,
  uri: string,
): Promise<ResourceTarget> {
  if (!parseResourceUri(uri) && services.gateway.resolveUri(uri)) {
    if (caller.kind === 'anonymous') {
      throw new HubError(
        'unauthorized',
        `${uri} is a downstream server's resource: send Authorization: Bearer <token>`,
      );
    }
    return { kind: 'gateway', uri, hold: () => services.gateway.holdResource(uri) };
  }
  const target = authorizeWatch(caller, uri);
  // The agent list is public only while auth.anonymousDirectory is on.
  if (target.kind === 'agents') await services.agents.requireDirectory(caller);
  if (target.kind !== 'context' || caller.kind !== 'agent') return target;
  const actor = await services.agents.requireActive(caller.agentId);
  const scopeId = target.scope === 'global' ? undefined : target.scopeId;
  await services.context.address(actor, {
    scope: target.scope as ContextScope,
    scope_id: scopeId,
    key: target.key,
  });
  return target;
}
