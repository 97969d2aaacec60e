/**
 * Health that tells the truth, from the connection and its breaker:
 * disabled (turned off), unhealthy (not connected, breaker open, or its last check failed),
 * degraded (connected but recovering: breaker half-open or recent failures), healthy otherwise.
 */
import type { ServerHealthView } from '../../core/wire/index.js';
import type { DownstreamConnection } from './connection.js';

export type Health = ServerHealthView['health'];

export function healthOf(conn: DownstreamConnection): Health {
  if (conn.state === 'disabled' || conn.state === 'stopped') return 'disabled';
  const breaker = conn.breaker.state;
  if (conn.state !== 'ready' || breaker === 'open' || conn.lastCheckOk === false) return 'unhealthy';
  if (breaker === 'half_open' || conn.breaker.view().consecutive_failures > 0 || conn.failedChecks > 0) {
    return 'degraded';
  }
  return 'healthy';
}
