/**
 * The composition root: config → store → bus → services → surfaces. Tests build the same hub on a
 * temp directory and an ephemeral port; nothing here is global, so several hubs can share a process.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type Bus, InProcessBus } from './bus/bus.js';
import { ClusterBus } from './bus/cluster.js';
import { type Config, dbPath, isLoopback } from './config/schema.js';
import { HubError } from './core/errors.js';
import { createLogger, type Logger } from './core/logger.js';
import { type Clock, iso, systemClock } from './core/time.js';
import { Timers } from './core/timers.js';
import { newId } from './core/ids.js';
import { newToken } from './core/tokens.js';
import { createServices, type Services } from './domain/index.js';
import { NodeCalls } from './domain/cluster/node-calls.js';
import { HEARTBEAT_JOB, NodeService } from './domain/nodes/service.js';
import { attachGatewayMetrics } from './observability/gateway-metrics.js';
import { Metrics } from './observability/metrics.js';
import { catalog } from './ops/catalog.js';
import { Invoker } from './ops/invoke.js';
import { RateLimiter } from './core/rate-limit.js';
import type { AnyOperation } from './ops/types.js';
import { HubLock } from './store/lock/hub-lock.js';
import { isPostgresUrl, openStore } from './store/open.js';
import { PostgresStore } from './store/postgres/index.js';
import { PgNodeStore } from './store/postgres/nodes.js';
import type { Store } from './store/types.js';
import type { HttpContext } from './surfaces/http/context.js';
import { buildHttpServer } from './surfaces/http/server.js';
import { mountMcp } from './surfaces/mcp/mount.js';
import { VERSION } from './version.js';

export interface HubOptions {
  config: Config;
  logger?: Logger;
  clock?: Clock;
  /** Extra operations (tests, plugins) added to the catalog. */
  extraOps?: AnyOperation[];
  /** Mount more HTTP routes (the MCP endpoint registers here). */
  mountHttp?: Array<(app: FastifyInstance, ctx: HttpContext, hub: Hub) => void | Promise<void>>;
}

export interface Hub {
  config: Config;
  logger: Logger;
  store: Store;
  bus: Bus;
  services: Services;
  invoker: Invoker;
  metrics: Metrics;
  adminToken: string;
  adminTokenFile: string;
  http: FastifyInstance;
  httpContext: HttpContext;
  /** The base URL once listening, e.g. http://127.0.0.1:7700 */
  url: string;
  /** Live counters surfaces report for status and metrics. */
  live: Map<string, number>;
  listen(): Promise<string>;
  close(): Promise<void>;
  /** Functions run on close (surfaces register their teardown). */
  onClose(fn: () => void | Promise<void>): void;
}

/** The admin token: from config, else the data directory's 0600 file, else a new one written there. */
export function resolveAdminToken(config: Config): { token: string; file: string } {
  const file = join(config.home, 'admin-token');
  if (config.adminToken) return { token: config.adminToken, file };
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    if (token.length >= 16) return { token, file };
  }
  mkdirSync(config.home, { recursive: true, mode: 0o700 });
  const token = newToken();
  try {
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  } catch (err) {
    if (!isLoopback(config.host)) {
      throw new HubError(
        'unavailable',
        `Binding to ${config.host} needs an admin token and ${file} cannot be written (${(err as Error).message}); ` +
          'set SWITCHBOARD_ADMIN_TOKEN (16+ characters) or adminToken in the config file',
      );
    }
  }
  return { token, file };
}

/**
 * This data directory's node id, from `<home>/node-id` (written 0600 at first start). Stable across
 * restarts: a restarted node finds the instances it owns (their records name it). The home lock
 * keeps two hubs from sharing one directory, hence one id.
 */
export function resolveNodeId(home: string): string {
  const file = join(home, 'node-id');
  if (existsSync(file)) {
    const id = readFileSync(file, 'utf8').trim();
    if (/^node_[0-9A-Za-z]{10,40}$/.test(id)) return id;
  }
  const id = newId('node');
  writeFileSync(file, `${id}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return id;
}

/**
 * Builds a hub. It first takes the lock of its data directory and database: a second hub there is
 * refused (a `conflict` naming the running one) before it reads or writes anything.
 */
export async function createHub(opts: HubOptions): Promise<Hub> {
  const { config } = opts;
  mkdirSync(config.home, { recursive: true, mode: 0o700 });
  const db = dbPath(config);
  // A PostgreSQL database is shared by design (several nodes); only the data directory is locked.
  const lock = HubLock.acquire({ home: config.home, db: isPostgresUrl(db) ? undefined : db });
  try {
    return await buildHub(opts, lock);
  } catch (err) {
    lock.release();
    throw err;
  }
}

async function buildHub(opts: HubOptions, lock: HubLock): Promise<Hub> {
  const { config } = opts;
  const clock = opts.clock ?? systemClock;
  const { token: adminToken, file: adminTokenFile } = resolveAdminToken(config);
  // This node's id: in its logs, its `nodes` row, its bus rows, its instances' records and
  // PostgreSQL's pg_stat_activity. Kept in the data directory, so a restarted node is the same node.
  const nodeId = resolveNodeId(config.home);
  // The lock (createHub) makes this hub the only writer of a SQLite file.
  const store = await openStore(dbPath(config), {
    applicationName: `switchboard ${nodeId}`,
    exclusive: true,
  });
  const cluster = store instanceof PostgresStore ? store : null;
  const baseLogger = opts.logger ?? createLogger(config.logLevel);
  const logger = cluster ? baseLogger.child({ node: nodeId }) : baseLogger;
  const timers = new Timers(
    (job, err) => logger.warn({ err, job }, 'periodic job failed'),
    (job, fn) => store.runAlone(job, fn),
  );
  const startedAt = iso(clock.now());
  // On PostgreSQL every node's events reach every node's listeners; on SQLite the process is the hub.
  let clusterBus: ClusterBus | null = null;
  let bus: Bus;
  if (cluster) {
    clusterBus = new ClusterBus(cluster.db, {
      nodeId,
      timers,
      onError: (what, err) => logger.warn({ err, what }, 'cluster bus'),
    });
    try {
      await clusterBus.start();
    } catch (err) {
      await store.close();
      throw err;
    }
    bus = clusterBus;
  } else {
    bus = new InProcessBus((err) => logger.error({ err }, 'event listener failed'));
  }
  const nodes = new NodeService({
    id: nodeId,
    store: store.kind,
    version: VERSION,
    startedAt,
    registry: cluster ? new PgNodeStore(cluster.db) : null,
    timers,
    clock,
    logger,
  });
  try {
    await nodes.start();
  } catch (err) {
    await clusterBus?.close();
    await store.close();
    throw err;
  }
  const metrics = new Metrics();
  const live = new Map<string, number>();
  const services = createServices(
    { store, bus, config, clock, logger, timers },
    { version: VERSION, startedAt, live: () => Object.fromEntries(live), nodes },
    {
      sent: (recipients) => metrics.messageStored(recipients),
    },
  );
  attachGatewayMetrics(metrics.registry, services.gateway);
  // Cluster mode: ops that only the node running an instance can do travel between nodes.
  const calls = cluster ? new NodeCalls(bus, nodeId, logger) : null;
  if (calls) {
    services.instances.serveCalls(calls);
    calls.start();
  }
  const invoker = new Invoker([...catalog, ...(opts.extraOps ?? [])], new RateLimiter(config.rateLimit), {
    completed: (op, seconds, code, caller) => {
      metrics.opCompleted(op, seconds, code);
      services.analytics.recorder.operation(
        op,
        seconds,
        code !== undefined,
        caller?.kind === 'agent' ? caller.agentId : null,
      );
    },
  });
  services.analytics.onCache((hit) =>
    (hit ? metrics.analyticsCacheHits : metrics.analyticsCacheMisses).inc(),
  );
  services.graph.onCache((hit) => (hit ? metrics.analyticsCacheHits : metrics.analyticsCacheMisses).inc());

  const closers: Array<() => void | Promise<void>> = [];
  const hub = {} as Hub;
  const { app, context } = await buildHttpServer(
    { config, adminToken, services, invoker, metrics, logger, bus, live },
    {
      version: VERSION,
      selfOrigins: () => (hub.url ? [hub.url] : []),
      mountExtra: async (fastify, ctx) => {
        for (const mount of [mountMcp, ...(opts.mountHttp ?? [])]) await mount(fastify, ctx, hub);
      },
    },
  );

  const sweepMs = config.presence.sweepIntervalSeconds * 1000;
  // Sweeps of shared state: on a cluster one node at a time does each (its effects happen once).
  const shared = { oneNodeAtATime: true };
  timers.every('presence sweep', sweepMs, () => services.agents.sweep(), shared);
  timers.every('context expiry sweep', sweepMs, () => services.context.sweep(), shared);
  timers.every('lease expiry sweep', sweepMs, () => services.leases.sweep(), shared);
  timers.every('vote deadline sweep', sweepMs, () => services.coordination.sweep(), shared);
  timers.every(
    'task lease sweep',
    config.tasks.sweepIntervalSeconds * 1000,
    () => services.tasks.sweep(),
    shared,
  );
  for (const job of store.periodicJobs()) timers.every(job.name, job.everyMs, () => job.run());
  // Downstream MCP servers (gateway): connected in the background; the hub serves at once.
  services.gateway.start().catch((err) => logger.error({ err }, 'gateway start failed'));

  Object.assign(hub, {
    config,
    logger,
    store,
    bus,
    services,
    invoker,
    metrics,
    adminToken,
    adminTokenFile,
    http: app,
    httpContext: context,
    url: '',
    live,
    onClose(fn: () => void | Promise<void>) {
      closers.push(fn);
    },
    async listen() {
      const address = await app.listen({ host: config.host, port: config.port });
      const u = new URL(address);
      if (u.hostname === '[::1]' || u.hostname === '::1') u.hostname = '[::1]';
      hub.url = u.origin;
      lock.setUrl(hub.url);
      await nodes.setUrl(hub.url);
      // Instances write the hub's URL into each child's MCP config (resumed ones too): known from here on.
      services.instances.attach({ hubUrl: () => hub.url });
      return hub.url;
    },
    async close() {
      try {
        timers.stopAll([HEARTBEAT_JOB]);
        for (const fn of closers.reverse()) await fn();
        await services.gateway.close();
        await app.close();
        await services.agents.sweep().catch(() => {});
        // Leave the live list at once, and write the last events out before the pool closes.
        await nodes.leave().catch(() => {});
        calls?.stop();
        await clusterBus?.close();
        await store.close();
      } finally {
        // Last: the next hub on this data directory may start only once this one touches nothing.
        lock.release();
      }
    },
  } satisfies Partial<Hub>);
  // Closing the hub stops every instance's child (they are attached once the hub listens).
  closers.push(() => services.instances.shutdown());
  // Workflows call hub operations as their starter; running ones resume where they stopped.
  services.workflows.attach({
    has: (name) => invoker.ops.has(name),
    repeatable: (name) => {
      const a = invoker.ops.get(name)?.annotations;
      return a?.readOnly === true || a?.idempotent === true;
    },
    invoke: (name, caller, input, { signal, correlationId }) =>
      invoker.invoke(
        invoker.get(name),
        { caller, services, requestId: correlationId, logger, surface: 'internal', signal },
        input,
      ),
  });
  closers.push(() => services.workflows.shutdown());
  // First in the list, so it runs last (closers run in reverse): it writes what the others' stopping queued.
  closers.unshift(() => services.analytics.shutdown());
  services.workflows.resume().catch((err) => logger.error({ err }, 'resuming workflows failed'));
  return hub;
}
