/**
 * The hub's MCP server: every catalog operation as a tool, the agents and inbox resources, logging.
 * Each call becomes an OpContext and goes through the invoker, exactly like REST or WebSocket.
 * One instance serves one whole 2025-era session, or 2026-07-28 requests one at a time (nothing in it
 * belongs to a caller: stateless-servers.ts reuses it). `tools/list` shows what
 * the caller may call within the connection's tool profiles (tool-visibility.ts); a session that
 * registers an agent is told its list changed.
 */
import {
  McpServer,
  ProtocolError,
  ProtocolErrorCode,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { GATEWAY_CHANNEL } from '../../bus/gateway-events.js';
import { callerKey } from '../../core/caller.js';
import { HubError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { HttpDeps } from '../http/context.js';
import { profileOf } from '../../ops/profiles.js';
import type { OpContext } from '../../ops/types.js';
import { VERSION } from '../../version.js';
import { attachGatewayCatalog } from './gateway-catalog.js';
import { attachGatewayTools, correlationOf } from './gateway-tools.js';
import { effectiveIdentity, requestIdentity, type SessionBinding } from './identity.js';
import { progressFor } from './progress.js';
import { authorizeResource, type ResourceTarget } from './resource-uris.js';
import { registerHubResources } from './resources.js';
import { failureOf } from './results.js';
import { profilesOf } from './tool-profiles.js';
import { downstreamListed, opListed, requireProfile, type ToolView } from './tool-visibility.js';
import { type ErrorHint, listOnly, registerCatalogTools } from './tools.js';

/** What a 2025-era session adds: its binding and its resource subscriptions. */
export interface SessionHooks {
  binding: SessionBinding;
  watch(uri: string, target: ResourceTarget): void;
  unwatch(uri: string): void;
  /** Keeps a subscription alive for the session's lifetime (stopped when it closes). */
  track(stop: () => void): void;
}

export const INSTRUCTIONS =
  'Switchboard is a coordination hub for AI agents. Identify with an Authorization: Bearer <token> header ' +
  '(`switchboard connect <client> --name <name>` prints the client configuration), or in a 2025-era session call ' +
  'register_agent first. Then send_message to agents, "ALL", "capability:<name>" or "topic:<name>", and ' +
  'wait_for_messages (blocks until something arrives) or check_inbox.';

const HEADER_HINT =
  'For MCP, put the header in the client configuration: `switchboard connect <client> --name <name>` registers an agent and prints it';
const SESSION_HINT = 'or call register_agent in this session first: the session then acts as that agent';

/**
 * Aborted when the MCP request is cancelled or its HTTP request goes away (the reason of whichever
 * came first), like AbortSignal.any of the two; both live only as long as the request, so plain
 * listeners do (AbortSignal.any costs about ten times as much, on every tool call).
 */
function abortSignalOf(ctx: ServerContext): AbortSignal {
  const fromMcp = ctx.mcpReq.signal;
  const fromHttp = ctx.http?.req?.signal;
  if (!fromHttp || fromMcp.aborted) return fromMcp;
  if (fromHttp.aborted) return fromHttp;
  const both = new AbortController();
  const abort = (event: Event) => {
    if (both.signal.aborted) return;
    fromMcp.removeEventListener('abort', abort);
    fromHttp.removeEventListener('abort', abort);
    both.abort((event.target as AbortSignal).reason);
  };
  fromMcp.addEventListener('abort', abort, { once: true });
  fromHttp.addEventListener('abort', abort, { once: true });
  return both.signal;
}

function asProtocolError(err: unknown): ProtocolError {
  const { code, message, details } = failureOf(err);
  return new ProtocolError(ProtocolErrorCode.InvalidParams, `${code}: ${message}`, {
    code,
    ...(details !== undefined ? { details } : {}),
  });
}

/** A built server, and how to bring its downstream tools up to date with the gateway. */
export interface HubMcpServer {
  server: McpServer;
  syncGateway: () => void;
}

export function createHubMcpServer(hub: HttpDeps, session?: SessionHooks): McpServer {
  return buildHubMcpServer(hub, session).server;
}

/**
 * `supportedProtocolVersions`: for a server that serves 2026-07-28 requests on one long-lived
 * connection (modern-direct.ts), the SDK's versions plus that revision, so connecting binds it.
 */
export function buildHubMcpServer(
  hub: HttpDeps,
  session?: SessionHooks,
  supportedProtocolVersions?: string[],
): HubMcpServer {
  const server = new McpServer(
    { name: 'switchboard', title: 'Switchboard', version: VERSION },
    {
      ...(supportedProtocolVersions ? { supportedProtocolVersions } : {}),
      capabilities: {
        tools: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: true },
        logging: {},
      },
      instructions: INSTRUCTIONS,
    },
  );

  const contextFor = (ctx: ServerContext): { opCtx: OpContext; remote?: string } => {
    const identity = effectiveIdentity(ctx, session?.binding);
    const binding = session?.binding;
    let signal: AbortSignal | undefined;
    const opCtx: OpContext = {
      caller: identity.caller,
      services: hub.services,
      requestId: newId('req'),
      logger: hub.logger,
      surface: 'mcp',
      bearerToken: identity.token,
      // Joined when an operation first asks (the ones that block do): most calls never do, and joining
      // costs an AbortController and two listeners (and, in a session, the web Request's own signal).
      get signal() {
        return (signal ??= abortSignalOf(ctx));
      },
      progress: progressFor(ctx),
      // Only a session without a bearer header binds itself; with a header, the header is the identity.
      // The caller is now an agent: its tool list grows (told on this request's stream, which is open).
      session:
        binding && !requestIdentity(ctx).token
          ? {
              bind(agentId) {
                binding.agentId = agentId;
                void ctx.mcpReq.notify({ method: 'notifications/tools/list_changed' }).catch(() => {});
              },
            }
          : undefined,
    };
    return { opCtx, remote: identity.remote };
  };

  const hint: ErrorHint = (failure, ctx) => {
    if (failure.code !== 'unauthorized') return undefined;
    if (effectiveIdentity(ctx, session?.binding).caller.kind !== 'anonymous') return undefined;
    return session ? `${HEADER_HINT}, ${SESSION_HINT}` : HEADER_HINT;
  };

  registerCatalogTools(
    server,
    hub.invoker.ops.values(),
    async (op, args, ctx) => {
      requireProfile(op.name, profileOf(op), profilesOf(ctx));
      const { opCtx, remote } = contextFor(ctx);
      return hub.invoker.invoke(op, opCtx, args, remote);
    },
    hint,
  );
  listOnly(server, (ctx) => {
    const view: ToolView = {
      caller: effectiveIdentity(ctx, session?.binding).caller,
      profiles: profilesOf(ctx),
    };
    const downstream = downstreamListed(view);
    return (name) => {
      const op = hub.invoker.ops.get(name);
      return op ? opListed(op, view) : downstream;
    };
  });

  registerHubResources(
    server,
    (opName, args, ctx) => {
      const { opCtx, remote } = contextFor(ctx);
      return hub.invoker.invoke(hub.invoker.get(opName), opCtx, args, remote);
    },
    (ctx) => effectiveIdentity(ctx, session?.binding),
  );

  // Downstream tools (gateway) as `<server>__<tool>`; a session follows changes, a 2026 request sees
  // the current set (its reused server is synced when taken).
  const authorizeDownstream = (ctx: ServerContext): string => {
    const { caller } = effectiveIdentity(ctx, session?.binding);
    if (caller.kind === 'anonymous') {
      throw new HubError(
        'unauthorized',
        `Downstream tools need an identified caller. ${session ? `${HEADER_HINT}, ${SESSION_HINT}` : HEADER_HINT}`,
      );
    }
    return callerKey(caller);
  };
  const syncGateway = attachGatewayTools(server, hub, {
    authorize: (ctx) => {
      requireProfile('Downstream tools', 'gateway', profilesOf(ctx));
      return authorizeDownstream(ctx);
    },
    signal: abortSignalOf,
  });
  // Downstream prompts and resources (`<server>__<prompt>`, `<server>+<uri>`).
  attachGatewayCatalog(server, hub, { authorize: authorizeDownstream, correlationId: correlationOf });
  if (session) {
    session.track(
      hub.bus.subscribe(GATEWAY_CHANNEL, (event) => {
        if (event.type === 'gateway.tools_changed') syncGateway();
        if (event.type === 'gateway.catalog_changed') {
          void server.server.sendPromptListChanged().catch(() => {});
          void server.server.sendResourceListChanged().catch(() => {});
        }
      }),
    );
  }

  if (session) {
    server.server.setRequestHandler('resources/subscribe', async (request, ctx) => {
      const { uri } = request.params;
      try {
        const { caller } = effectiveIdentity(ctx, session.binding);
        session.watch(uri, await authorizeResource(hub.services, caller, uri));
      } catch (err) {
        throw asProtocolError(err);
      }
      return {};
    });
    server.server.setRequestHandler('resources/unsubscribe', async (request) => {
      session.unwatch(request.params.uri);
      return {};
    });
  }
  return { server, syncGateway };
}
