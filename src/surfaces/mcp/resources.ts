/**
 * `switchboard://agents` and `switchboard://inbox/{agent_id}`, read through the operation catalog
 * (list_agents, and check_inbox without marking anything read), so access rules are the ops' own.
 */
import {
  type McpServer,
  ProtocolError,
  ProtocolErrorCode,
  ResourceTemplate,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { RequestIdentity } from './identity.js';
import { AGENTS_URI, authorizeWatch, CONTEXT_TEMPLATE, INBOX_TEMPLATE, inboxUri } from './resource-uris.js';
import { failureOf } from './results.js';

export type RunOp = (opName: string, args: Record<string, unknown>, ctx: ServerContext) => Promise<unknown>;

function json(uri: string, value: unknown) {
  return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(value) }] };
}

async function read(work: () => Promise<unknown>, uri: string) {
  try {
    return json(uri, await work());
  } catch (err) {
    const f = failureOf(err);
    const code =
      f.code === 'not_found' ? ProtocolErrorCode.ResourceNotFound : ProtocolErrorCode.InvalidParams;
    throw new ProtocolError(code, `${f.code}: ${f.message}`, { uri, code: f.code });
  }
}

export function registerHubResources(
  server: McpServer,
  run: RunOp,
  identityOf: (ctx: ServerContext) => RequestIdentity,
): void {
  server.registerResource(
    'agents',
    AGENTS_URI,
    {
      title: 'Agents',
      description: 'The registered agents, as list_agents shows them (the first 100, without metadata)',
      mimeType: 'application/json',
    },
    (uri, ctx) => read(() => run('list_agents', {}, ctx), uri.href),
  );
  server.registerResource(
    'inbox',
    new ResourceTemplate(INBOX_TEMPLATE, {
      list: async (ctx) => {
        const { caller } = identityOf(ctx);
        if (caller.kind !== 'agent') return { resources: [] };
        return { resources: [{ uri: inboxUri(caller.agentId), name: `inbox of ${caller.agentId}` }] };
      },
    }),
    {
      title: 'Inbox',
      description:
        "An agent's unread messages, oldest first (reading does not mark them read); only that agent or the admin",
      mimeType: 'application/json',
    },
    (uri, _variables, ctx) =>
      read(async () => {
        const target = authorizeWatch(identityOf(ctx).caller, uri.href);
        const agentId = target.kind === 'inbox' ? target.agentId : '';
        return run('check_inbox', { agent_id: agentId, unread_only: true, mark_read: false }, ctx);
      }, uri.href),
  );
  server.registerResource(
    'context',
    new ResourceTemplate(CONTEXT_TEMPLATE, { list: undefined }),
    {
      title: 'Shared context key',
      description:
        'One shared context key (as get_context): scope is global or kind:id (project:ID, session:ID, ' +
        'conversation:ID, agent:ID); readable by whoever may read that key',
      mimeType: 'application/json',
    },
    (uri, _variables, ctx) =>
      read(async () => {
        const target = authorizeWatch(identityOf(ctx).caller, uri.href);
        if (target.kind !== 'context') return undefined;
        const scopeId = target.scope === 'global' ? {} : { scope_id: target.scopeId };
        return run('get_context', { scope: target.scope, ...scopeId, key: target.key }, ctx);
      }, uri.href),
  );
}
