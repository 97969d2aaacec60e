/** What operations show of a downstream server: never env values or header values (they may be secrets). */
import { redactUrl } from '../../core/redact.js';
import type { ServerHealthView, ServerSource, ServerView } from '../../core/wire/index.js';
import type { DownstreamConnection } from './connection.js';
import { healthOf } from './health.js';

const isoOrNull = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function healthView(conn: DownstreamConnection): ServerHealthView {
  return {
    name: conn.spec.name,
    health: healthOf(conn),
    state: conn.state,
    breaker: conn.breaker.view(),
    pid: conn.pid,
    restarts: conn.restarts,
    last_error: conn.lastError,
    last_check_at: isoOrNull(conn.lastCheckAt),
    last_check_ok: conn.lastCheckOk,
    connected_at: isoOrNull(conn.connectedAt),
  };
}

export function serverView(conn: DownstreamConnection, source: ServerSource, tools: string[]): ServerView {
  const { spec } = conn;
  // user:password and the query string (an api_key there) are secrets too.
  const url = spec.url ? redactUrl(new URL(spec.url).toString()) : null;
  return {
    ...healthView(conn),
    source,
    transport: spec.url ? 'http' : 'stdio',
    enabled: spec.enabled,
    command: spec.command ?? null,
    args: spec.args,
    url,
    env_keys: Object.keys(spec.env).sort(),
    header_names: Object.keys(spec.headers).sort(),
    timeout_seconds: spec.timeoutSeconds,
    tool_timeouts: { ...spec.toolTimeouts },
    rate_limit: spec.rateLimit ? { per_second: spec.rateLimit.perSecond, burst: spec.rateLimit.burst } : null,
    tools,
  };
}
