/** Prometheus metrics, one registry per hub (several hubs can live in one process). */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { CounterTally, HistogramTally } from './tallies.js';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5, 30, 300];

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
    // The hot-path metrics count in tallies; reading any of them hands every tally's counts over.
    const collect = () => this.flushTallies();
    this.messagesSent = new Counter({
      name: 'switchboard_messages_sent_total',
      help: 'Messages accepted and stored',
      registers,
      collect,
    });
    this.messagesDelivered = new Counter({
      name: 'switchboard_messages_delivered_total',
      help: 'Messages placed in a recipient inbox (one per recipient)',
      registers,
      collect,
    });
    this.pushes = new Counter({
      name: 'switchboard_pushes_total',
      help: 'Messages pushed live to a connected client',
      labelNames: ['surface'],
      registers,
      collect,
    });
    this.deliveryLatency = new Histogram({
      name: 'switchboard_delivery_latency_seconds',
      help: 'From a message being stored to its push to a live recipient',
      labelNames: ['surface'],
      buckets: LATENCY_BUCKETS,
      collect,
      registers,
    });
    this.operations = new Counter({
      name: 'switchboard_operations_total',
      help: 'Operations called, by name and outcome (ok or an error code)',
      labelNames: ['op', 'outcome'],
      registers,
      collect,
    });
    this.operationDuration = new Histogram({
      name: 'switchboard_operation_duration_seconds',
      help: 'Operation duration',
      labelNames: ['op'],
      buckets: DURATION_BUCKETS,
      collect,
      registers,
    });
    this.errors = new Counter({
      name: 'switchboard_errors_total',
      help: 'Errors returned to clients, by code',
      labelNames: ['code'],
      registers,
      collect,
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

  /** Label children bound once, counting in tallies (tallies.ts): prom-client's own calls cost ~1 µs each. */
  private readonly counters = new Map<string, CounterTally>();
  private readonly histograms = new Map<string, HistogramTally>();

  private counter(key: string, counter: Counter<string>, labels: Record<string, string>): CounterTally {
    let c = this.counters.get(key);
    if (!c) {
      c = new CounterTally(counter, labels);
      this.counters.set(key, c);
    }
    return c;
  }

  private histogram(
    key: string,
    histogram: Histogram<string>,
    labels: Record<string, string>,
    bounds: readonly number[],
  ): HistogramTally {
    let h = this.histograms.get(key);
    if (!h) {
      h = new HistogramTally(histogram, labels, bounds);
      this.histograms.set(key, h);
    }
    return h;
  }

  private flushTallies(): void {
    for (const c of this.counters.values()) c.flush();
    for (const h of this.histograms.values()) h.flush();
  }

  /** A message was stored for `recipients` recipients. */
  messageStored(recipients: number): void {
    this.counter('sent', this.messagesSent, {}).inc();
    this.counter('delivered', this.messagesDelivered, {}).inc(recipients);
  }

  opCompleted(op: string, seconds: number, errorCode?: string): void {
    const outcome = errorCode ?? 'ok';
    this.counter(`op:${op}:${outcome}`, this.operations, { op, outcome }).inc();
    this.histogram(`dur:${op}`, this.operationDuration, { op }, DURATION_BUCKETS).observe(seconds);
    if (errorCode) this.counter(`err:${errorCode}`, this.errors, { code: errorCode }).inc();
  }

  /** A message stored at `createdAt` (ISO) was just pushed live over `surface`. */
  pushed(surface: string, createdAt: string): void {
    this.counter(`push:${surface}`, this.pushes, { surface }).inc();
    const ms = Date.now() - Date.parse(createdAt);
    if (ms >= 0) {
      this.histogram(`lat:${surface}`, this.deliveryLatency, { surface }, LATENCY_BUCKETS).observe(ms / 1000);
    }
  }
}
