/**
 * One downstream server: a supervised connection through the official client SDK (version
 * negotiation `auto`). At most one transport (for stdio: one child process) exists at a time; when it
 * dies the tools are withdrawn, the breaker opens and a new one is started after an exponential
 * backoff. While connected it is pinged periodically (a job on the hub's timers, one per server);
 * repeated failed pings restart it.
 */
import {
  type CallToolResult,
  Client,
  type GetPromptResult,
  type McpSubscription,
  type Prompt,
  type ReadResourceResult,
  type Resource,
  type ResourceTemplateType,
  type Tool,
} from '@modelcontextprotocol/client';
import type { ServerSpec } from '../../config/gateway.js';
import { HubError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Timers } from '../../core/timers.js';
import { VERSION } from '../../version.js';
import { backoffDelay } from './backoff.js';
import { CircuitBreaker } from './breaker.js';
import { isSessionLost, isUnreachable } from './errors.js';
import { listCatalog } from './listing.js';
import { serverRateLimit } from './rate-limit.js';
import { relayToolCall } from './relay-result.js';
import { resolveSecrets } from './secrets.js';
import { createTransport } from './transport.js';

export type ConnectionState = 'connecting' | 'ready' | 'down' | 'disabled' | 'stopped';

export interface ConnectionOptions {
  restartInitialMs: number;
  restartMaxMs: number;
  healthIntervalMs: number;
  /** The hub's periodic work: the health check runs there (one ping at a time). */
  timers: Pick<Timers, 'every' | 'stop'>;
  logger: Logger;
  now: () => number;
  /** The server's tool list changed (connected, reconnected, list_changed, went away). */
  onToolsChanged: () => void;
  /** Its state or health changed. */
  onStateChanged: () => void;
  /** Its prompts, resources or resource templates changed (connected, list_changed, went away). */
  onCatalogChanged: () => void;
  /** The server said a resource we subscribed to changed (`notifications/resources/updated`). */
  onResourceUpdated: (uri: string) => void;
}

/** Consecutive failed health checks after which a connected server is restarted. */
const PINGS_BEFORE_RESTART = 3;

export class DownstreamConnection {
  state: ConnectionState = 'connecting';
  tools: Tool[] = [];
  prompts: Prompt[] = [];
  resources: Resource[] = [];
  resourceTemplates: ResourceTemplateType[] = [];
  /** Whether the server accepts resource subscriptions. */
  canSubscribe = false;
  readonly breaker: CircuitBreaker;
  restarts = 0;
  lastError: string | null = null;
  connectedAt: number | null = null;
  lastCheckAt: number | null = null;
  lastCheckOk: boolean | null = null;
  failedChecks = 0;
  pid: number | null = null;
  protocolVersion: string | null = null;
  private client: Client | undefined;
  private generation = 0;
  private attempt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  /** The health check's job name on the hub's timers (server names are unique). */
  private readonly healthJob: string;
  /** Downstream resource subscriptions held for our subscribers (uri → 2026 listen subscription, if any). */
  private readonly subscribed = new Map<string, McpSubscription | null>();
  /** Takes a token of the server's rate limit (rateLimit), or throws rate_limited (with retry_after) at once. */
  readonly takeRateToken: () => void;

  constructor(
    readonly spec: ServerSpec,
    private readonly opts: ConnectionOptions,
  ) {
    this.breaker = new CircuitBreaker(spec.breaker, opts.now);
    this.healthJob = `gateway health check: ${spec.name}`;
    this.takeRateToken = serverRateLimit(spec, opts.now);
  }

  start(): void {
    if (!this.spec.enabled) {
      this.state = 'disabled';
      return;
    }
    this.opts.timers.every(this.healthJob, this.opts.healthIntervalMs, () => this.check());
    void this.connect();
  }

  private async connect(): Promise<void> {
    const generation = ++this.generation;
    this.state = 'connecting';
    this.opts.onStateChanged();
    const timeout = this.spec.connectTimeoutSeconds * 1000;
    let transport: ReturnType<typeof createTransport>;
    try {
      // Secret references are read now, at every (re)connect, and kept only by the transport.
      transport = createTransport(
        this.spec,
        this.opts.logger,
        resolveSecrets(this.spec.name, this.spec.env, this.spec.headers),
      );
    } catch (err) {
      this.lost(generation, `cannot connect: ${(err as Error).message}`, true);
      return;
    }
    const client = new Client(
      { name: 'switchboard-gateway', version: VERSION },
      {
        versionNegotiation: { mode: 'auto', probe: { timeoutMs: Math.min(timeout, 5000) } },
        listChanged: {
          tools: {
            debounceMs: 50,
            onChanged: (err, tools) => {
              if (generation !== this.generation || err || !tools) return;
              this.setTools(tools);
            },
          },
          prompts: {
            debounceMs: 50,
            autoRefresh: false,
            onChanged: () => {
              if (generation === this.generation) void this.refreshCatalog(client, generation);
            },
          },
          resources: {
            debounceMs: 50,
            autoRefresh: false,
            onChanged: () => {
              if (generation === this.generation) void this.refreshCatalog(client, generation);
            },
          },
        },
      },
    );
    client.setNotificationHandler('notifications/resources/updated', (n) => {
      if (generation === this.generation) this.opts.onResourceUpdated(n.params.uri);
    });
    client.onclose = () => this.lost(generation, 'the connection closed (process exited or stream ended)');
    client.onerror = (err) =>
      this.opts.logger.debug({ server: this.spec.name, err: err.message }, 'downstream transport error');
    try {
      await client.connect(transport, { timeout });
      const { tools } = await client.listTools(undefined, { timeout, cacheMode: 'bypass' });
      if (generation !== this.generation) {
        await client.close().catch(() => {});
        return;
      }
      this.client = client;
      this.pid = 'pid' in transport ? ((transport as { pid: number | null }).pid ?? null) : null;
      this.protocolVersion = (transport as { protocolVersion?: string }).protocolVersion ?? null;
      this.state = 'ready';
      this.attempt = 0;
      this.connectedAt = this.opts.now();
      this.lastError = null;
      this.failedChecks = 0;
      this.breaker.halfOpen();
      this.opts.logger.info(
        { server: this.spec.name, tools: tools.length, pid: this.pid },
        'downstream connected',
      );
      this.setTools(tools);
      await this.refreshCatalog(client, generation);
      await this.resubscribe(client, generation);
    } catch (err) {
      this.lost(generation, `connecting failed: ${(err as Error).message}`);
      await client.close().catch(() => {});
    }
  }

  /** Reads the server's prompts, resources and templates (those it offers) and reports the change. */
  private async refreshCatalog(client: Client, generation: number): Promise<void> {
    try {
      const catalog = await listCatalog(client, this.spec.timeoutSeconds * 1000);
      if (generation !== this.generation) return;
      this.prompts = catalog.prompts;
      this.resources = catalog.resources;
      this.resourceTemplates = catalog.resourceTemplates;
      this.canSubscribe = catalog.canSubscribe;
      this.opts.onCatalogChanged();
    } catch (err) {
      this.opts.logger.warn(
        { server: this.spec.name, err: (err as Error).message },
        'downstream prompts/resources could not be listed',
      );
    }
  }

  /** After a (re)connect: the subscriptions our subscribers still hold are made again. */
  private async resubscribe(client: Client, generation: number): Promise<void> {
    for (const uri of [...this.subscribed.keys()]) {
      if (generation !== this.generation) return;
      this.subscribed.set(uri, await this.subscribeWith(client, uri).catch(() => null));
    }
  }

  private async subscribeWith(client: Client, uri: string): Promise<McpSubscription | null> {
    if (!this.canSubscribe) return null;
    if (client.getProtocolEra() === 'modern') {
      return client.listen({ resourceSubscriptions: [uri] });
    }
    await client.subscribeResource({ uri }, { timeout: this.spec.timeoutSeconds * 1000 });
    return null;
  }

  /** Starts relaying `resources/updated` for this (downstream) URI; idempotent. */
  async subscribe(uri: string): Promise<void> {
    if (this.subscribed.has(uri)) return;
    this.subscribed.set(uri, null);
    const client = this.client;
    if (!client || this.state !== 'ready') return;
    try {
      this.subscribed.set(uri, await this.subscribeWith(client, uri));
    } catch (err) {
      this.opts.logger.warn(
        { server: this.spec.name, uri, err: (err as Error).message },
        'downstream resource subscription failed',
      );
    }
  }

  async unsubscribe(uri: string): Promise<void> {
    if (!this.subscribed.has(uri)) return;
    const sub = this.subscribed.get(uri);
    this.subscribed.delete(uri);
    const client = this.client;
    if (sub) await sub.close().catch(() => {});
    else if (client && this.state === 'ready' && this.canSubscribe && client.getProtocolEra() !== 'modern')
      await client.unsubscribeResource({ uri }).catch(() => {});
  }

  private ready(): Client {
    const client = this.client;
    if (!client || this.state !== 'ready') {
      throw new HubError(
        'unavailable',
        `${this.spec.name} is not connected (${this.state}${this.lastError ? `: ${this.lastError}` : ''}); the hub is reconnecting`,
      );
    }
    return client;
  }

  async getPrompt(name: string, args: Record<string, string> | undefined, meta: Record<string, unknown>) {
    return (await this.ready().getPrompt(
      { name, ...(args ? { arguments: args } : {}), _meta: meta },
      { timeout: this.spec.timeoutSeconds * 1000 },
    )) as GetPromptResult;
  }

  async readResource(uri: string, meta: Record<string, unknown>): Promise<ReadResourceResult> {
    return this.ready().readResource(
      { uri, _meta: meta },
      { timeout: this.spec.timeoutSeconds * 1000, cacheMode: 'bypass' },
    );
  }

  private setTools(tools: Tool[]): void {
    this.tools = tools;
    this.opts.onToolsChanged();
    this.opts.onStateChanged();
  }

  /** The current transport is gone (or unusable): withdraw tools, open the breaker, restart later. */
  private lost(generation: number, reason: string, force = false): void {
    if (generation !== this.generation || this.state === 'stopped') return;
    if (this.state === 'down' && !force) return;
    this.generation += 1;
    const old = this.client;
    this.client = undefined;
    void old?.close().catch(() => {});
    this.state = 'down';
    this.pid = null;
    this.connectedAt = null;
    this.lastError = reason;
    this.breaker.trip();
    const delay = backoffDelay(this.attempt++, this.opts.restartInitialMs, this.opts.restartMaxMs);
    this.opts.logger.warn({ server: this.spec.name, reason, restart_in_ms: delay }, 'downstream lost');
    const hadTools = this.tools.length > 0;
    const hadCatalog = this.prompts.length + this.resources.length + this.resourceTemplates.length > 0;
    this.tools = [];
    this.prompts = [];
    this.resources = [];
    this.resourceTemplates = [];
    if (hadTools) this.opts.onToolsChanged();
    if (hadCatalog) this.opts.onCatalogChanged();
    this.opts.onStateChanged();
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.restarts += 1;
      void this.connect();
    }, delay);
    this.restartTimer.unref();
  }

  /** An HTTP server stopped answering at the network level: treat it as gone and reconnect with backoff. */
  unreachable(reason: string): void {
    if (this.state === 'ready') this.lost(this.generation, reason);
  }

  /** Drop the current session and connect again now (HTTP session lost). */
  async reconnect(reason: string): Promise<void> {
    if (this.state !== 'ready') return;
    this.lost(this.generation, reason);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.restarts += 1;
    await this.connect();
  }

  async callTool(
    tool: Tool,
    args: Record<string, unknown> | undefined,
    meta: Record<string, unknown>,
    signal?: AbortSignal,
    onProgress?: (progress: number, total?: number, message?: string) => void,
  ): Promise<CallToolResult> {
    const client = this.client;
    if (!client || this.state !== 'ready') {
      throw new HubError(
        'unavailable',
        `${this.spec.name} is not connected (${this.state}${this.lastError ? `: ${this.lastError}` : ''}); the hub is reconnecting`,
      );
    }
    return relayToolCall(
      client,
      tool,
      { name: tool.name, arguments: args ?? {}, _meta: meta },
      {
        timeout: callTimeoutMs(this.spec, tool.name),
        ...(signal ? { signal } : {}),
        // Downstream progress goes on to our caller (when it asked for progress).
        ...(onProgress ? { onprogress: (p) => onProgress(p.progress, p.total, p.message) } : {}),
      },
    );
  }

  /** A periodic health check: ping with the call timeout. */
  async check(): Promise<void> {
    const client = this.client;
    if (!client || this.state !== 'ready') return;
    const generation = this.generation;
    try {
      await client.ping({ timeout: Math.min(this.spec.timeoutSeconds * 1000, 10_000) });
      this.failedChecks = 0;
      this.lastCheckOk = true;
      if (this.breaker.state === 'half_open') this.breaker.success();
    } catch (err) {
      if (generation !== this.generation) return;
      if (isSessionLost(err)) {
        void this.reconnect('the server lost our session (HTTP 404 on a health check)');
        return;
      }
      this.failedChecks += 1;
      this.lastCheckOk = false;
      this.lastError = `health check failed: ${(err as Error).message}`;
      if (this.failedChecks >= PINGS_BEFORE_RESTART || (this.spec.url && isUnreachable(err)))
        this.lost(generation, this.lastError);
    } finally {
      this.lastCheckAt = this.opts.now();
      this.opts.onStateChanged();
    }
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    this.generation += 1;
    this.opts.timers.stop(this.healthJob);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const client = this.client;
    this.client = undefined;
    this.tools = [];
    this.prompts = [];
    this.resources = [];
    this.resourceTemplates = [];
    this.subscribed.clear();
    await client?.close().catch(() => {});
  }
}

/** A tool call's timeout: the tool's entry in toolTimeouts, else the server's timeoutSeconds. */
export function callTimeoutMs(spec: ServerSpec, tool: string): number {
  return (
    (Object.hasOwn(spec.toolTimeouts, tool) ? (spec.toolTimeouts[tool] as number) : spec.timeoutSeconds) *
    1000
  );
}
