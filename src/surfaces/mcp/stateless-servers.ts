/**
 * The MCP servers that answer 2026-07-28 requests, built once and reused. Building one registers
 * every operation and downstream tool (the costly part of a stateless request), and nothing in it
 * belongs to a caller: identity, tool profiles and visibility are read from each request's context
 * (server.ts, tool-visibility.ts). The SDK serves one exchange per instance at a time (it refuses an
 * instance still connected), so there are as many as requests in flight; one whose exchange ended is
 * kept (up to `maxIdle`) and handed to the next request, first brought up to date with the
 * gateway's downstream tools and cleared of the previous client's declared identity.
 */
import type { McpRequestContext, McpServer } from '@modelcontextprotocol/server';
import type { HttpDeps } from '../http/context.js';
import { forgetClientIdentity } from './sdk-handlers.js';
import { buildHubMcpServer, type HubMcpServer } from './server.js';

export class StatelessServers {
  private readonly idle: HubMcpServer[] = [];
  private closed = false;
  /** Servers built so far (for tests and the bench: reuse keeps this near the requests in flight). */
  built = 0;

  constructor(
    private readonly hub: HttpDeps,
    private readonly maxIdle = 32,
  ) {}

  /** The McpServerFactory of createMcpHandler: an idle server, or a new one. */
  readonly take = (ctx: McpRequestContext): McpServer => {
    let entry = this.idle.pop();
    if (entry) entry.syncGateway();
    else {
      entry = buildHubMcpServer(this.hub);
      this.built += 1;
    }
    forgetClientIdentity(entry.server);
    const taken = entry;
    const request = ctx.requestInfo;
    taken.server.server.onclose = () => this.giveBack(taken, request);
    return taken.server;
  };

  /**
   * Called when the server's exchange closed. A request the client abandoned may leave its handler
   * running, and that handler could still notify through whatever transport the server has next:
   * such a server is dropped, never reused. So is any server that is somehow still connected.
   */
  private giveBack(entry: HubMcpServer, request: Request | undefined): void {
    entry.server.server.onclose = undefined;
    if (this.closed || request?.signal.aborted || entry.server.isConnected()) return;
    if (this.idle.length >= this.maxIdle) return;
    this.idle.push(entry);
  }

  get idleCount(): number {
    return this.idle.length;
  }

  close(): void {
    this.closed = true;
    this.idle.length = 0;
  }
}
