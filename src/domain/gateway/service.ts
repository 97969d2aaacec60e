/**
 * Gateways: downstream MCP servers from the config file and added at run time, each one supervised
 * connection; their tools republished as `<server><separator><tool>` and calls proxied under the
 * server's policy (timeout, breaker, safe retries) with a correlation id in `_meta`.
 */
import type {
  CallToolResult,
  GetPromptResult,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplateType,
  Tool,
} from '@modelcontextprotocol/client';
import { channels } from '../../bus/bus.js';
import { GATEWAY_CHANNEL, type GatewayEvent } from '../../bus/gateway-events.js';
import { type ServerSpec, type ServerSpecInput, serverSpecSchema } from '../../config/gateway.js';
import { fromZodError, HubError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { iso } from '../../core/time.js';
import type { DomainDeps } from '../deps.js';
import type { Services } from '../index.js';
import { ApprovalGate, matchRule } from './approvals.js';
import { DownstreamConnection } from './connection.js';
import { errorTypeOf } from './errors.js';
import { healthOf } from './health.js';
import { cacheKey, ResultCache } from './cache.js';
import { exposedUri, namespaceTools, splitExposedUri } from './names.js';
import { callWithPolicy, safeToRetry } from './policy.js';
import type { ServerHealthView, ServerSource, ServerView } from '../../core/wire/index.js';
import { healthView, serverView } from './views.js';

import { CORRELATION_META_KEY } from './transport.js';

export { CORRELATION_META_KEY };

export interface GatewayTool {
  /** The namespaced name our clients see. */
  name: string;
  server: string;
  /** The downstream definition, as the server gave it. */
  tool: Tool;
}

export interface GatewayPrompt {
  /** The name our clients see (`<server>__<prompt>`, or unprefixed for the passthrough server). */
  name: string;
  server: string;
  prompt: Prompt;
}

export interface GatewayResource {
  /** The URI our clients see (`<server>+<uri>`, or the original for the passthrough server). */
  uri: string;
  server: string;
  resource: Resource;
}

export interface GatewayResourceTemplate {
  uriTemplate: string;
  server: string;
  template: ResourceTemplateType;
}

/** One finished downstream call, for metrics. */
export interface GatewayCallRecord {
  server: string;
  tool: string;
  seconds: number;
  /** null: it succeeded; `tool_error` for a result with isError; else the failure's type. */
  errorType: string | null;
}

interface Entry {
  conn: DownstreamConnection;
  source: ServerSource;
  /** Exposed name → downstream tool. */
  tools: Map<string, Tool>;
  /** Exposed name → downstream prompt. */
  prompts: Map<string, Prompt>;
  lastSignal: string;
}

export class GatewayService {
  private readonly entries = new Map<string, Entry>();
  private started = false;
  /** The approvals queue (held calls here; relayed permission prompts through services.approvals). */
  readonly approvals: ApprovalGate;
  private readonly callObservers: Array<(r: GatewayCallRecord) => void> = [];
  private readonly cache: ResultCache;
  /** Exposed resource URI → how many of our subscribers hold it. */
  private readonly resourceHolds = new Map<string, number>();
  /** tools() as last computed, and each server's tool map (null: not ready) it was computed from. */
  private toolsMemo: { maps: Array<Map<string, Tool> | null>; list: GatewayTool[] } | undefined;

  /** `services` gives access to the other domains (agents, messages, ...), complete once the hub is built. */
  constructor(
    protected readonly d: DomainDeps,
    protected readonly services: Services,
  ) {
    this.cache = new ResultCache(() => this.d.clock.now());
    this.approvals = new ApprovalGate(d.store.gateway, {
      timeoutMs: () => this.cfg.approvals.timeoutSeconds * 1000,
      now: () => this.d.clock.now(),
      projectOf: async (agentId) => (await this.services.agents.find(agentId))?.project ?? null,
      onEvent: (a) => {
        this.d.logger.info(
          {
            approval_id: a.id,
            kind: a.kind,
            tool: a.tool,
            status: a.status,
            correlation_id: a.correlationId,
            requested_by: a.requestedBy,
            decided_by: a.decidedBy,
          },
          a.status !== 'pending'
            ? 'approval decided'
            : a.kind === 'permission'
              ? 'permission prompt waiting for approval'
              : 'downstream call held for approval',
        );
        this.publish({
          type: 'gateway.approval',
          at: this.now(),
          approval_id: a.id,
          kind: a.kind,
          project: a.project,
          tool: a.tool,
          server: a.server,
          status: a.status,
        });
      },
    });
  }

  private get cfg() {
    return this.d.config.gateway;
  }

  /** Connects every enabled server of the config file and the store. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.approvals.cancelLeftovers();
    for (const spec of this.cfg.servers) this.launch(spec, 'config');
    for (const stored of await this.d.store.gateway.listServers()) {
      if (this.entries.has(stored.name)) {
        this.d.logger.warn(
          { server: stored.name },
          'a runtime server has the name of a config-file server; the config wins',
        );
        continue;
      }
      const parsed = serverSpecSchema.safeParse(stored.spec);
      if (!parsed.success) {
        this.d.logger.error({ server: stored.name }, 'stored server spec is no longer valid; skipped');
        continue;
      }
      this.launch(parsed.data, 'runtime');
    }
  }

  private launch(spec: ServerSpec, source: ServerSource): Entry {
    const entry: Entry = { source, tools: new Map(), prompts: new Map(), lastSignal: '' } as Entry;
    entry.conn = new DownstreamConnection(spec, {
      restartInitialMs: this.cfg.restartInitialMs,
      restartMaxMs: this.cfg.restartMaxMs,
      healthIntervalMs: this.cfg.healthIntervalSeconds * 1000,
      logger: this.d.logger,
      now: () => this.d.clock.now(),
      onToolsChanged: () => this.reindex(entry),
      onStateChanged: () => this.signalHealth(entry),
      onCatalogChanged: () => this.reindexCatalog(entry),
      onResourceUpdated: (uri) => {
        this.publish({
          type: 'gateway.resource_updated',
          at: this.now(),
          server: spec.name,
          uri: this.uriOf(spec.name, uri),
        });
      },
    });
    this.entries.set(spec.name, entry);
    entry.conn.start();
    return entry;
  }

  private isPassthrough(server: string): boolean {
    return this.cfg.passthrough === server;
  }

  /** Exposed name → downstream name: prefixed (and kept valid), or as-is for the passthrough server. */
  private exposedNames(server: string, names: string[]): Map<string, string> {
    if (this.isPassthrough(server)) return new Map(names.map((n) => [n, n]));
    return namespaceTools(server, names, this.cfg.separator);
  }

  /** The URI our clients see for a downstream URI of `server`. */
  private uriOf(server: string, uri: string): string {
    return this.isPassthrough(server) ? uri : exposedUri(server, uri);
  }

  private reindex(entry: Entry): void {
    const { conn } = entry;
    const byName = new Map(conn.tools.map((t) => [t.name, t]));
    const names = this.exposedNames(conn.spec.name, [...byName.keys()]);
    entry.tools = new Map([...names].map(([exposed, original]) => [exposed, byName.get(original) as Tool]));
    this.publish({
      type: 'gateway.tools_changed',
      at: this.now(),
      server: conn.spec.name,
      tools: entry.tools.size,
    });
  }

  private reindexCatalog(entry: Entry): void {
    const { conn } = entry;
    const byName = new Map(conn.prompts.map((p) => [p.name, p]));
    const names = this.exposedNames(conn.spec.name, [...byName.keys()]);
    entry.prompts = new Map(
      [...names].map(([exposed, original]) => [exposed, byName.get(original) as Prompt]),
    );
    this.publish({
      type: 'gateway.catalog_changed',
      at: this.now(),
      server: conn.spec.name,
      prompts: entry.prompts.size,
      resources: conn.resources.length + conn.resourceTemplates.length,
    });
  }

  private signalHealth(entry: Entry): void {
    const { conn } = entry;
    const health = healthOf(conn);
    const signal = `${conn.state}/${health}/${conn.breaker.state}`;
    if (signal === entry.lastSignal) return;
    entry.lastSignal = signal;
    this.publish({
      type: 'gateway.server_health',
      at: this.now(),
      server: conn.spec.name,
      state: conn.state,
      health,
      breaker: conn.breaker.state,
    });
  }

  private publish(event: GatewayEvent): void {
    this.d.bus.publish(GATEWAY_CHANNEL, event);
    this.d.bus.publish(channels.all, event);
  }

  private now(): string {
    return iso(this.d.clock.now());
  }

  /** Observes every finished downstream call (metrics). */
  onCall(observer: (r: GatewayCallRecord) => void): void {
    this.callObservers.push(observer);
  }

  private observe(server: string, tool: string, started: number, errorType: string | null): void {
    const record = { server, tool, seconds: (Date.now() - started) / 1000, errorType };
    for (const o of this.callObservers) o(record);
  }

  /** Every downstream tool currently available, namespaced, in a stable order. */
  tools(): GatewayTool[] {
    // Asked for on every 2026-07-28 request (each builds its own MCP server): the sorted list is kept
    // while every server's tool map (replaced, never changed, on a new tools/list) and readiness stay.
    const maps = [...this.entries.values()].map((e) => (e.conn.state === 'ready' ? e.tools : null));
    const memo = this.toolsMemo;
    if (memo && memo.maps.length === maps.length && memo.maps.every((m, i) => m === maps[i]))
      return [...memo.list];
    const out: GatewayTool[] = [];
    for (const entry of this.entries.values()) {
      if (entry.conn.state !== 'ready') continue;
      for (const [name, tool] of entry.tools) out.push({ name, server: entry.conn.spec.name, tool });
    }
    out.sort((a, b) => a.name.localeCompare(b.name));
    this.toolsMemo = { maps, list: out };
    return [...out];
  }

  /** Whether the gateway retries calls of this tool (readOnlyHint / idempotentHint / retry.tools); undefined: unknown tool. */
  isSafeToRetry(name: string): boolean | undefined {
    const entry = this.entryForName(name, (e) => e.tools);
    const tool = entry?.tools.get(name);
    return entry && tool ? safeToRetry(entry.conn, tool) : undefined;
  }

  /** Proxies one call; the result comes back as the server gave it. */
  async callTool(
    name: string,
    args: Record<string, unknown> | undefined,
    opts: {
      signal?: AbortSignal;
      correlationId?: string;
      /** Who asks (a caller key), recorded on an approval. */
      requestedBy?: string;
      /** While the call is held for approval: once at once, then every few seconds. */
      onWaiting?: (approvalId: string, waitedSeconds: number) => void;
      /** Progress the downstream server reports for this call. */
      onProgress?: (progress: number, total?: number, message?: string) => void;
    } = {},
  ): Promise<CallToolResult> {
    const entry = this.entryForName(name, (e) => e.tools);
    const tool = entry?.tools.get(name);
    if (!entry || !tool || entry.conn.state !== 'ready') {
      throw new HubError(
        entry ? 'unavailable' : 'not_found',
        entry
          ? `${entry.conn.spec.name} does not offer ${name} right now (${entry.conn.state}); see server_health`
          : `No downstream tool ${name}`,
      );
    }
    const correlationId = opts.correlationId ?? newId('corr');
    const started = Date.now();
    const log = { server: entry.conn.spec.name, tool: tool.name, correlation_id: correlationId };
    const rule = matchRule(this.cfg.approvals.rules, name, args);
    try {
      if (rule) {
        await this.approvals.hold({
          tool: name,
          server: entry.conn.spec.name,
          args: args ?? {},
          rule,
          correlationId,
          requestedBy: opts.requestedBy ?? 'unknown',
          ...(opts.signal ? { signal: opts.signal } : {}),
          ...(opts.onWaiting ? { onWaiting: opts.onWaiting } : {}),
        });
      }
      const { cache } = entry.conn.spec;
      const key = cache.tools.includes(tool.name) ? cacheKey(log.server, tool.name, args) : undefined;
      const cached = key ? this.cache.get(key) : undefined;
      if (cached) {
        this.d.logger.info({ ...log, ms: Date.now() - started, cache: 'hit' }, 'downstream call');
        this.observe(log.server, log.tool, started, null);
        return cached;
      }
      const result = await callWithPolicy(entry.conn, tool, args, {
        meta: { [CORRELATION_META_KEY]: correlationId },
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      });
      if (key && result.isError !== true) this.cache.set(key, result, cache.ttlSeconds * 1000);
      this.d.logger.info(
        {
          ...log,
          ms: Date.now() - started,
          is_error: result.isError === true,
          ...(key ? { cache: 'miss' } : {}),
        },
        'downstream call',
      );
      this.observe(log.server, log.tool, started, result.isError === true ? 'tool_error' : null);
      return result;
    } catch (err) {
      this.d.logger.warn(
        { ...log, ms: Date.now() - started, err: (err as Error).message },
        'downstream call failed',
      );
      this.observe(log.server, log.tool, started, errorTypeOf(err));
      throw err;
    } finally {
      this.signalHealth(entry);
    }
  }

  /**
   * The server behind an exposed tool or prompt name: the passthrough server when it has that name,
   * else the `<server><separator>` prefix.
   */
  private entryForName(name: string, names: (e: Entry) => Map<string, unknown>): Entry | undefined {
    const pass = this.cfg.passthrough ? this.entries.get(this.cfg.passthrough) : undefined;
    if (pass && names(pass).has(name)) return pass;
    const server = name.slice(0, Math.max(0, name.indexOf('_'))).replace(/-+$/, '');
    if (this.isPassthrough(server)) return pass;
    return this.entries.get(server);
  }

  /** Every downstream prompt currently available, named as our clients see them. */
  prompts(): GatewayPrompt[] {
    const out: GatewayPrompt[] = [];
    for (const entry of this.entries.values()) {
      if (entry.conn.state !== 'ready') continue;
      for (const [name, prompt] of entry.prompts) out.push({ name, server: entry.conn.spec.name, prompt });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  resources(): GatewayResource[] {
    const out: GatewayResource[] = [];
    for (const entry of this.entries.values()) {
      if (entry.conn.state !== 'ready') continue;
      const server = entry.conn.spec.name;
      for (const r of entry.conn.resources) out.push({ uri: this.uriOf(server, r.uri), server, resource: r });
    }
    return out;
  }

  resourceTemplates(): GatewayResourceTemplate[] {
    const out: GatewayResourceTemplate[] = [];
    for (const entry of this.entries.values()) {
      if (entry.conn.state !== 'ready') continue;
      const server = entry.conn.spec.name;
      for (const t of entry.conn.resourceTemplates)
        out.push({ uriTemplate: this.uriOf(server, t.uriTemplate), server, template: t });
    }
    return out;
  }

  /**
   * The server and original URI behind an exposed resource URI: `<server>+<uri>` of a known server,
   * else (when configured) the passthrough server with the URI as it is. Undefined: not a downstream URI.
   */
  resolveUri(uri: string): { server: string; original: string } | undefined {
    const split = splitExposedUri(uri);
    if (split && this.entries.has(split.server) && !this.isPassthrough(split.server)) return split;
    const pass = this.cfg.passthrough;
    if (pass && this.entries.has(pass)) return { server: pass, original: uri };
    return undefined;
  }

  private readyEntry(server: string, what: string): Entry {
    const entry = this.entries.get(server);
    if (!entry) throw new HubError('not_found', `No downstream ${what}`);
    if (entry.conn.state !== 'ready') {
      throw new HubError(
        'unavailable',
        `${server} does not offer ${what} right now (${entry.conn.state}); see server_health`,
      );
    }
    return entry;
  }

  async getPrompt(
    name: string,
    args: Record<string, string> | undefined,
    opts: { correlationId?: string } = {},
  ): Promise<GetPromptResult> {
    const found = this.entryForName(name, (e) => e.prompts);
    const prompt = found?.prompts.get(name);
    if (!found || !prompt) throw new HubError('not_found', `No downstream prompt ${name}`);
    const entry = this.readyEntry(found.conn.spec.name, `prompt ${name}`);
    const correlationId = opts.correlationId ?? newId('corr');
    this.d.logger.info(
      { server: entry.conn.spec.name, prompt: prompt.name, correlation_id: correlationId },
      'downstream prompts/get',
    );
    return entry.conn.getPrompt(prompt.name, args, { [CORRELATION_META_KEY]: correlationId });
  }

  /** Reads a downstream resource; the contents' URIs come back as our clients see them. */
  async readResource(uri: string, opts: { correlationId?: string } = {}): Promise<ReadResourceResult> {
    const target = this.resolveUri(uri);
    if (!target) throw new HubError('not_found', `No downstream resource ${uri}`);
    const entry = this.readyEntry(target.server, `resource ${uri}`);
    const correlationId = opts.correlationId ?? newId('corr');
    this.d.logger.info(
      { server: target.server, uri: target.original, correlation_id: correlationId },
      'downstream resources/read',
    );
    const result = await entry.conn.readResource(target.original, { [CORRELATION_META_KEY]: correlationId });
    return {
      ...result,
      contents: result.contents.map((c) => ({ ...c, uri: this.uriOf(target.server, c.uri) })),
    };
  }

  /**
   * Holds a downstream subscription to an exposed resource URI while the returned release is not
   * called (reference-counted over all our subscribers); updates arrive as gateway.resource_updated.
   */
  holdResource(uri: string): () => void {
    const target = this.resolveUri(uri);
    if (!target) return () => {};
    const count = this.resourceHolds.get(uri) ?? 0;
    this.resourceHolds.set(uri, count + 1);
    if (count === 0) void this.entries.get(target.server)?.conn.subscribe(target.original);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.resourceHolds.get(uri) ?? 1) - 1;
      if (left > 0) {
        this.resourceHolds.set(uri, left);
        return;
      }
      this.resourceHolds.delete(uri);
      void this.entries.get(target.server)?.conn.unsubscribe(target.original);
    };
  }

  private entry(name: string): Entry {
    const entry = this.entries.get(name);
    if (!entry)
      throw new HubError('not_found', `No downstream server named ${name}; list_servers shows them`);
    return entry;
  }

  listServers(): ServerView[] {
    return [...this.entries.values()]
      .map((e) => serverView(e.conn, e.source, [...e.tools.keys()].sort()))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  health(name?: string): ServerHealthView[] {
    if (name !== undefined) return [healthView(this.entry(name).conn)];
    return [...this.entries.values()]
      .map((e) => healthView(e.conn))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Adds a server at run time (persisted) and connects it. */
  async addServer(input: ServerSpecInput, createdBy: string | null): Promise<ServerView> {
    const parsed = serverSpecSchema.safeParse(input);
    if (!parsed.success) throw fromZodError(parsed.error, 'add_server');
    const spec = parsed.data;
    if (this.entries.has(spec.name)) {
      throw new HubError(
        'conflict',
        `A downstream server named ${spec.name} exists already; remove_server it first`,
      );
    }
    const added = await this.d.store.gateway.addServer({
      name: spec.name,
      spec: spec as unknown as Record<string, unknown>,
      createdAt: this.now(),
      createdBy,
    });
    if (!added || this.entries.has(spec.name)) {
      throw new HubError(
        'conflict',
        `A downstream server named ${spec.name} exists already; remove_server it first`,
      );
    }
    const entry = this.launch(spec, 'runtime');
    return serverView(entry.conn, 'runtime', []);
  }

  /** Removes a runtime server: its process is stopped and its tools withdrawn. */
  async removeServer(name: string): Promise<{ removed: string }> {
    const entry = this.entry(name);
    if (entry.source === 'config') {
      throw new HubError(
        'conflict',
        `${name} is defined in the config file (gateway.servers); remove it there, or set enabled: false, and restart the hub`,
      );
    }
    await this.d.store.gateway.removeServer(name);
    this.entries.delete(name);
    this.cache.dropServer(name);
    const had = entry.tools.size;
    const hadCatalog =
      entry.prompts.size + entry.conn.resources.length + entry.conn.resourceTemplates.length > 0;
    await entry.conn.stop();
    if (had) this.publish({ type: 'gateway.tools_changed', at: this.now(), server: name, tools: 0 });
    if (hadCatalog) {
      this.publish({
        type: 'gateway.catalog_changed',
        at: this.now(),
        server: name,
        prompts: 0,
        resources: 0,
      });
    }
    return { removed: name };
  }

  /** Stops every connection (child processes end with the hub). */
  async close(): Promise<void> {
    this.approvals.close();
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => e.conn.stop()));
  }
}
