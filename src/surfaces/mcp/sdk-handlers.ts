/**
 * The SDK's own request handlers, to extend rather than replace: the hub filters the SDK's tools/list
 * by caller and profile, and merges downstream resources into the SDK's resource lists. Also the one
 * piece of SDK state a reused 2026-07-28 server must clear between requests.
 */
import type { McpServer, ServerContext } from '@modelcontextprotocol/server';

export type Handler = (request: unknown, ctx: ServerContext) => Promise<unknown>;

/** The SDK's installed handler for a method (to delegate to it). */
export function installedHandler(server: McpServer, method: string): Handler {
  const handlers = (server.server as unknown as { _requestHandlers?: Map<string, Handler> })._requestHandlers;
  const handler = handlers?.get(method);
  if (!handler) throw new Error(`no ${method} handler to extend (SDK internals changed?)`);
  return handler;
}

/**
 * Clears what a 2026-07-28 request's envelope told a server about its client (capabilities, name),
 * so a reused server never answers one client with what another declared. The SDK sets both again
 * from each request's envelope; it has no public way to clear them.
 */
export function forgetClientIdentity(server: McpServer): void {
  const inner = server.server as unknown as { _clientCapabilities?: unknown; _clientVersion?: unknown };
  inner._clientCapabilities = undefined;
  inner._clientVersion = undefined;
}
