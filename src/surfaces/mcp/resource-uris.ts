/** The hub's MCP resources and who may read or watch them. */
import type { Caller } from '../../core/caller.js';
import { HubError } from '../../core/errors.js';

export const AGENTS_URI = 'switchboard://agents';
export const INBOX_TEMPLATE = 'switchboard://inbox/{agent_id}';
const INBOX_PREFIX = 'switchboard://inbox/';

export type ResourceTarget = { kind: 'agents' } | { kind: 'inbox'; agentId: string };

export const inboxUri = (agentId: string): string => `${INBOX_PREFIX}${encodeURIComponent(agentId)}`;

export function parseResourceUri(uri: string): ResourceTarget | undefined {
  if (uri === AGENTS_URI) return { kind: 'agents' };
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
      `Unknown resource ${uri}; the hub has ${AGENTS_URI} and ${INBOX_PREFIX}<agent_id>`,
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
