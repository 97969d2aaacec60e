/**
 * The wire shapes of a downstream MCP server behind the gateway (its health, its settings): zod
 * schemas and types. Never env values or header values: they may be secrets.
 */
import { z } from 'zod';

export const breakerView = z.object({
  state: z.enum(['closed', 'open', 'half_open']),
  consecutive_failures: z.number().int(),
  opened_at: z.string().nullable(),
  /** When an open breaker lets a trial call through. */
  retry_at: z.string().nullable(),
});
export type BreakerView = z.infer<typeof breakerView>;

export const serverHealthView = z.object({
  name: z.string(),
  health: z.enum(['healthy', 'degraded', 'unhealthy', 'disabled']),
  state: z.enum(['connecting', 'ready', 'down', 'disabled', 'stopped']),
  breaker: breakerView,
  pid: z.number().int().nullable(),
  restarts: z.number().int(),
  last_error: z.string().nullable(),
  last_check_at: z.string().nullable(),
  last_check_ok: z.boolean().nullable(),
  connected_at: z.string().nullable(),
});
export type ServerHealthView = z.infer<typeof serverHealthView>;

export const serverView = serverHealthView.extend({
  source: z.enum(['config', 'runtime']),
  transport: z.enum(['stdio', 'http']),
  enabled: z.boolean(),
  command: z.string().nullable(),
  args: z.array(z.string()),
  url: z.string().nullable(),
  env_keys: z.array(z.string()),
  header_names: z.array(z.string()),
  timeout_seconds: z.number(),
  tool_timeouts: z
    .record(z.string(), z.number())
    .describe(
      'Per-tool timeouts in seconds (downstream tool name), overriding timeout_seconds for those tools',
    ),
  rate_limit: z
    .object({ per_second: z.number(), burst: z.number().int() })
    .nullable()
    .describe('Token bucket for calls to this server; past it calls fail with rate_limited. null: no limit'),
  tools: z.array(z.string()).describe('The namespaced names under which its tools appear on /mcp'),
});
export type ServerView = z.infer<typeof serverView>;
export type ServerSource = ServerView['source'];
