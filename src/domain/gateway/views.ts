/** What operations show of a downstream server: never env values or header values (they may be secrets). */
import { redactUrl } from '../../core/redact.js';
import type { BreakerView } from './breaker.js';
import type { DownstreamConnection } from './connection.js';
import { type Health, healthOf } from './health.js';

export type ServerSource = 'config' | 'runtime';

export interface ServerHealthView {
  name: string;
  health: Health;
  state: DownstreamConnection['state'];
  breaker: BreakerView;
  pid: number | null;
  restarts: number;
  last_error: string | null;
  last_check_at: string | null;
  last_check_ok: boolean | null;
  connected_at: string | null;
}

export interface ServerView extends ServerHealthView {
  source: ServerSource;
  transport: 'stdio' | 'http';
  enabled: boolean;
  command: string | null;
  args: string[];
  url: string | null;
  env_keys: string[];
  header_names: string[];
  timeout_seconds: number;
  /** Per-tool timeouts (downstream tool name → seconds), overriding timeout_seconds for those tools. */
  tool_timeouts: Record<string, number>;
  /** The server's token bucket (calls per second, burst), or null: no limit. */
  rate_limit: { per_second: number; burst: number } | null;
  tools: string[];
}

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
