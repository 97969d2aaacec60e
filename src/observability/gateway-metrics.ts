/**
 * Gateway metrics on the hub's registry: per downstream server and tool, requests, durations and
 * errors by type; per server, its health and its circuit breaker state (gauges read at scrape time,
 * so a removed server disappears from them).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { GatewayCallRecord, GatewayService } from '../domain/gateway/service.js';

const HEALTH = ['healthy', 'degraded', 'unhealthy', 'disabled'] as const;
const BREAKER = ['closed', 'open', 'half_open'] as const;

export function attachGatewayMetrics(registry: Registry, gateway: GatewayService): void {
  const registers = [registry];
  const requests = new Counter({
    name: 'mcp_requests_total',
    help: 'Downstream tool calls through the gateway, by server, tool and outcome (ok or error)',
    labelNames: ['server', 'tool', 'outcome'],
    registers,
  });
  const duration = new Histogram({
    name: 'mcp_request_duration_seconds',
    help: 'Downstream tool call duration through the gateway (approval waits included)',
    labelNames: ['server', 'tool'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  const errors = new Counter({
    name: 'mcp_errors_total',
    help: 'Failed downstream tool calls by type: timeout, unavailable, breaker_open, invalid_input, denied, tool_error, ...',
    labelNames: ['server', 'tool', 'type'],
    registers,
  });
  new Gauge({
    name: 'mcp_service_health',
    help: 'Health of each downstream server: 1 for its current health state, 0 for the others',
    labelNames: ['server', 'health'],
    registers,
    collect() {
      this.reset();
      for (const s of gateway.health())
        for (const h of HEALTH) this.labels(s.name, h).set(s.health === h ? 1 : 0);
    },
  });
  new Gauge({
    name: 'mcp_circuit_breaker_state',
    help: 'Circuit breaker of each downstream server: 1 for its current state, 0 for the others',
    labelNames: ['server', 'state'],
    registers,
    collect() {
      this.reset();
      for (const s of gateway.health())
        for (const b of BREAKER) this.labels(s.name, b).set(s.breaker.state === b ? 1 : 0);
    },
  });
  gateway.onCall((r: GatewayCallRecord) => {
    requests.labels(r.server, r.tool, r.errorType ? 'error' : 'ok').inc();
    duration.labels(r.server, r.tool).observe(r.seconds);
    if (r.errorType) errors.labels(r.server, r.tool, r.errorType).inc();
  });
}
