/** Prometheus metrics, one registry per hub (several hubs can live in one process). */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly messagesSent: Counter;
  readonly messagesDelivered: Counter;
  readonly pushes: Counter<'surface'>;
  readonly deliveryLatency: Histogram<'surface'>;
  readonly operations: Counter<'op' | 'outcome'>;
  readonly operationDuration: Histogram<'op'>;
  readonly errors: Counter<'code'>;
  readonly connections: Gauge<'kind'>;
  readonly connectionsClosed: Counter<'kind' | 'reason'>;
  readonly agents: Gauge<'status'>;
  readonly analyticsCacheHits: Counter;
  readonly analyticsCacheMisses: Counter;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.messagesSent = new Counter({
      name: 'switchboard_messages_sent_total',
      help: 'Messages accepted and stored',
      registers,
    });
    this.messagesDelivered = new Counter({
      name: 'switchboard_messages_delivered_total',
      help: 'Messages placed in a recipient inbox (one per recipient)',
      registers,
    });
    this.pushes = new Counter({
      name: 'switchboard_pushes_total',
      help: 'Messages pushed live to a connected client',
      labelNames: ['surface'],
      registers,
    });
    this.deliveryLatency = new Histogram({
      name: 'switchboard_delivery_latency_seconds',
      help: 'From a message being stored to its push to a live recipient',
      labelNames: ['surface'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.operations = new Counter({
      name: 'switchboard_operations_total',
      help: 'Operations called, by name and outcome (ok or an error code)',
      labelNames: ['op', 'outcome'],
      registers,
    });
    this.operationDuration = new Histogram({
      name: 'switchboard_operation_duration_seconds',
      help: 'Operation duration',
      labelNames: ['op'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5, 30, 300],
      registers,
    });
    this.errors = new Counter({
      name: 'switchboard_errors_total',
      help: 'Errors returned to clients, by code',
      labelNames: ['code'],
      registers,
    });
    this.connections = new Gauge({
      name: 'switchboard_connections',
      help: 'Live connections by kind (websocket, sse, mcp_session)',
      labelNames: ['kind'],
      registers,
    });
    this.connectionsClosed = new Counter({
      name: 'switchboard_connections_closed_total',
      help: 'Connections the hub closed itself, by kind and reason (slow: a stream too far behind; init_timeout, idle: MCP sessions reclaimed)',
      labelNames: ['kind', 'reason'],
      registers,
    });
    this.agents = new Gauge({
      name: 'switchboard_agents',
      help: 'Registered agents by status',
      labelNames: ['status'],
      registers,
    });
    this.analyticsCacheHits = new Counter({
      name: 'switchboard_analytics_cache_hits_total',
      help: 'Analytics answers served from the cache (analytics.cacheSeconds)',
      registers,
    });
    this.analyticsCacheMisses = new Counter({
      name: 'switchboard_analytics_cache_misses_total',
      help: 'Analytics answers computed from the rollups (not in the cache, or older than analytics.cacheSeconds)',
      registers,
    });
    if (opts.defaultMetrics !== false)
      collectDefaultMetrics({ register: this.registry, prefix: 'switchboard_' });
  }

  /** Label children bound once: looking labels up on every message is a measurable cost. */
  private readonly bound = new Map<string, { inc(): void } | { observe(v: number): void }>();

  private child<T>(key: string, make: () => T): T {
    let c = this.bound.get(key);
    if (!c) {
      c = make() as never;
      this.bound.set(key, c!);
    }
    return c as T;
  }

  opCompleted(op: string, seconds: number, errorCode?: string): void {
    const outcome = errorCode ?? 'ok';
    this.child<{ inc(): void }>(`op:${op}:${outcome}`, () => this.operations.labels(op, outcome)).inc();
    this.child<{ observe(v: number): void }>(`dur:${op}`, () => this.operationDuration.labels(op)).observe(
      seconds,
    );
    if (errorCode) this.child<{ inc(): void }>(`err:${errorCode}`, () => this.errors.labels(errorCode)).inc();
  }

  /** A message stored at `createdAt` (ISO) was just pushed live over `surface`. */
  pushed(surface: string, createdAt: string): void {
    this.child<{ inc(): void }>(`push:${surface}`, () => this.pushes.labels(surface)).inc();
    const ms = Date.now() - Date.parse(createdAt);
    if (ms >= 0) {
      this.child<{ observe(v: number): void }>(`lat:${surface}`, () =>
        this.deliveryLatency.labels(surface),
      ).observe(ms / 1000);
    }
  }
}
