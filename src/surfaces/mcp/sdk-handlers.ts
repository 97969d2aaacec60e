/**
 * The SDK's own request handlers, to extend rather than replace: the hub filters the SDK's tools/list
 * by caller and profile, and merges downstream resources into the SDK's resource lists.
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
