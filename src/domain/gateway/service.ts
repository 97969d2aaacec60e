/**
 * Gateways: downstream MCP servers from the config file and added at run time, each one supervised
 * connection; their tools republished as `<server><separator><tool>` and calls proxied under the
 * server's policy (timeout, breaker, safe retries) with a correlation id in `_meta`.
 *
 * This is the façade the operations call; each concern lives in its own module beside it: registry
 * (servers, their connections, indexes and health events), routing (which server is behind an exposed
 * name or URI), catalog (tools, prompts, resources; prompts/get and resources/read), call-proxy
 * (approval hold, cache, policy), subscriptions (resource holds), events (bus, log, approvals queue),
 * with the shared state in state.ts.
 */
import type { CallToolResult, GetPromptResult, ReadResourceResult } from '@modelcontextprotocol/client';
import type { ServerSpecInput } from '../../config/gateway.js';
import type { DomainDeps } from '../deps.js';
import type { Services } from '../index.js';
import type { ApprovalGate } from './approvals.js';
import { type CallToolOptions, callTool, type GatewayCallRecord, isSafeToRetry } from './call-proxy.js';
import {
  type GatewayPrompt,
  type GatewayResource,
  type GatewayResourceTemplate,
  type GatewayTool,
  getPrompt,
  prompts,
  readResource,
  resources,
  resourceTemplates,
  toolList,
  tools,
} from './catalog.js';
import { addServer, closeAll, health, listServers, removeServer, startAll } from './registry.js';
import { resolveUri } from './routing.js';
import { type GatewayState, gatewayState } from './state.js';
import { holdResource } from './subscriptions.js';
import { CORRELATION_META_KEY } from './transport.js';
import type { ServerHealthView, ServerView } from '../../core/wire/index.js';

export { CORRELATION_META_KEY };
export type { GatewayCallRecord } from './call-proxy.js';
export type { GatewayPrompt, GatewayResource, GatewayResourceTemplate, GatewayTool } from './catalog.js';

export class GatewayService {
  private readonly st: GatewayState;
  /** The approvals queue (held calls here; relayed permission prompts through services.approvals). */
  readonly approvals: ApprovalGate;

  /** `services` gives access to the other domains (agents, messages, ...), complete once the hub is built. */
  constructor(
    protected readonly d: DomainDeps,
    protected readonly services: Services,
  ) {
    this.st = gatewayState(d, services);
    this.approvals = this.st.approvals;
  }

  /** Connects every enabled server of the config file and the store. */
  async start(): Promise<void> {
    return startAll(this.st);
  }

  /** Observes every finished downstream call (metrics). */
  onCall(observer: (r: GatewayCallRecord) => void): void {
    this.st.callObservers.push(observer);
  }

  /** Every downstream tool currently available, namespaced, in a stable order. */
  tools(): GatewayTool[] {
    return tools(this.st);
  }

  /** tools() as one read-only array, the same one while the list is the same (see catalog.ts). */
  toolList(): readonly GatewayTool[] {
    return toolList(this.st);
  }

  /** Whether the gateway retries calls of this tool (readOnlyHint / idempotentHint / retry.tools); undefined: unknown tool. */
  isSafeToRetry(name: string): boolean | undefined {
    return isSafeToRetry(this.st, name);
  }

  /** Proxies one call; the result comes back as the server gave it. */
  async callTool(
    name: string,
    args: Record<string, unknown> | undefined,
    opts: CallToolOptions = {},
  ): Promise<CallToolResult> {
    return callTool(this.st, name, args, opts);
  }

  /** Every downstream prompt currently available, named as our clients see them. */
  prompts(): GatewayPrompt[] {
    return prompts(this.st);
  }

  resources(): GatewayResource[] {
    return resources(this.st);
  }

  resourceTemplates(): GatewayResourceTemplate[] {
    return resourceTemplates(this.st);
  }

  /**
   * The server and original URI behind an exposed resource URI: `<server>+<uri>` of a known server,
   * else (when configured) the passthrough server with the URI as it is. Undefined: not a downstream URI.
   */
  resolveUri(uri: string): { server: string; original: string } | undefined {
    return resolveUri(this.st, uri);
  }

  async getPrompt(
    name: string,
    args: Record<string, string> | undefined,
    opts: { correlationId?: string } = {},
  ): Promise<GetPromptResult> {
    return getPrompt(this.st, name, args, opts);
  }

  /** Reads a downstream resource; the contents' URIs come back as our clients see them. */
  async readResource(uri: string, opts: { correlationId?: string } = {}): Promise<ReadResourceResult> {
    return readResource(this.st, uri, opts);
  }

  /**
   * Holds a downstream subscription to an exposed resource URI while the returned release is not
   * called (reference-counted over all our subscribers); updates arrive as gateway.resource_updated.
   */
  holdResource(uri: string): () => void {
    return holdResource(this.st, uri);
  }

  listServers(): ServerView[] {
    return listServers(this.st);
  }

  health(name?: string): ServerHealthView[] {
    return health(this.st, name);
  }

  /** Adds a server at run time (persisted) and connects it. */
  async addServer(input: ServerSpecInput, createdBy: string | null): Promise<ServerView> {
    return addServer(this.st, input, createdBy);
  }

  /** Removes a runtime server: its process is stopped and its tools withdrawn. */
  async removeServer(name: string): Promise<{ removed: string }> {
    return removeServer(this.st, name);
  }

  /** Stops every connection (child processes end with the hub). */
  async close(): Promise<void> {
    return closeAll(this.st);
  }
}
