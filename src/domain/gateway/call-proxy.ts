/**
 * One proxied tool call, from the name our clients see to the server's answer: held for approval when
 * a rule of `gateway.approvals` matches, answered from the result cache for tools declared cacheable,
 * else sent under the server's policy (breaker, timeout, safe retries: policy.ts) with a correlation
 * id in `_meta`; logged, observed for metrics, and the server's health signalled after it.
 */
import type { CallToolResult } from '@modelcontextprotocol/client';
import { HubError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { matchRule } from './approvals.js';
import { cacheKey } from './cache.js';
import { errorTypeOf } from './errors.js';
import { callWithPolicy, safeToRetry } from './policy.js';
import { signalHealth } from './registry.js';
import { entryForName } from './routing.js';
import { gatewayConfig, type GatewayState } from './state.js';
import { CORRELATION_META_KEY } from './transport.js';

/** One finished downstream call, for metrics. */
export interface GatewayCallRecord {
  server: string;
  tool: string;
  seconds: number;
  /** null: it succeeded; `tool_error` for a result with isError; else the failure's type. */
  errorType: string | null;
}

export interface CallToolOptions {
  signal?: AbortSignal;
  correlationId?: string;
  /** Who asks (a caller key), recorded on an approval. */
  requestedBy?: string;
  /** While the call is held for approval: once at once, then every few seconds. */
  onWaiting?: (approvalId: string, waitedSeconds: number) => void;
  /** Progress the downstream server reports for this call. */
  onProgress?: (progress: number, total?: number, message?: string) => void;
}

function observe(st: GatewayState, server: string, tool: string, started: number, errorType: string | null) {
  const record = { server, tool, seconds: (Date.now() - started) / 1000, errorType };
  for (const o of st.callObservers) o(record);
}

/** Whether the gateway retries calls of this tool (readOnlyHint / idempotentHint / retry.tools); undefined: unknown tool. */
export function isSafeToRetry(st: GatewayState, name: string): boolean | undefined {
  const entry = entryForName(st, name, (e) => e.tools);
  const tool = entry?.tools.get(name);
  return entry && tool ? safeToRetry(entry.conn, tool) : undefined;
}

/** Proxies one call; the result comes back as the server gave it. */
export async function callTool(
  st: GatewayState,
  name: string,
  args: Record<string, unknown> | undefined,
  opts: CallToolOptions,
): Promise<CallToolResult> {
  const entry = entryForName(st, name, (e) => e.tools);
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
  const rule = matchRule(gatewayConfig(st).approvals.rules, name, args);
  try {
    if (rule) {
      await st.approvals.hold({
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
    const cached = key ? st.cache.get(key) : undefined;
    if (cached) {
      st.d.logger.info({ ...log, ms: Date.now() - started, cache: 'hit' }, 'downstream call');
      observe(st, log.server, log.tool, started, null);
      return cached;
    }
    const result = await callWithPolicy(entry.conn, tool, args, {
      meta: { [CORRELATION_META_KEY]: correlationId },
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    });
    if (key && result.isError !== true) st.cache.set(key, result, cache.ttlSeconds * 1000);
    st.d.logger.info(
      {
        ...log,
        ms: Date.now() - started,
        is_error: result.isError === true,
        ...(key ? { cache: 'miss' } : {}),
      },
      'downstream call',
    );
    observe(st, log.server, log.tool, started, result.isError === true ? 'tool_error' : null);
    return result;
  } catch (err) {
    st.d.logger.warn(
      { ...log, ms: Date.now() - started, err: (err as Error).message },
      'downstream call failed',
    );
    observe(st, log.server, log.tool, started, errorTypeOf(err));
    throw err;
  } finally {
    signalHealth(st, entry);
  }
}
