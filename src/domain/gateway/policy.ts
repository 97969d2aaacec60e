/**
 * One proxied tool call under the server's policy: the breaker decides whether it may go at all;
 * failures (errors, timeouts, lost connections) count against the breaker; tools safe to repeat
 * (readOnlyHint / idempotentHint, or listed in the server's retry.tools) are retried with backoff and
 * jitter; a lost HTTP session is re-initialized and the call sent once more. A tool result with
 * isError is the tool's answer, returned as-is, not a failure of the server.
 */
import type { CallToolResult, Tool } from '@modelcontextprotocol/client';
import { backoffDelay, sleep } from './backoff.js';
import { callTimeoutMs, type DownstreamConnection } from './connection.js';
import { BreakerOpenError, downstreamError, isCallerFault, isSessionLost, isUnreachable } from './errors.js';

export function safeToRetry(conn: DownstreamConnection, tool: Tool): boolean {
  const a = tool.annotations;
  return a?.readOnlyHint === true || a?.idempotentHint === true || conn.spec.retry.tools.includes(tool.name);
}

export interface CallOptions {
  meta: Record<string, unknown>;
  signal?: AbortSignal;
  onProgress?: (progress: number, total?: number, message?: string) => void;
}

export async function callWithPolicy(
  conn: DownstreamConnection,
  tool: Tool,
  args: Record<string, unknown> | undefined,
  opts: CallOptions,
): Promise<CallToolResult> {
  const { spec, breaker } = conn;
  // One token per call (retries of a safe tool ride on it); refused calls never reach the server.
  conn.takeRateToken();
  const attempts = safeToRetry(conn, tool) ? 1 + spec.retry.attempts : 1;
  let sessionRetried = false;
  const timeoutMs = callTimeoutMs(spec, tool.name);
  const setting = Object.hasOwn(spec.toolTimeouts, tool.name)
    ? `the server's toolTimeouts.${tool.name}`
    : "the server's timeoutSeconds";
  const fail = (err: unknown) => downstreamError(err, spec.name, tool.name, timeoutMs, setting);
  for (let attempt = 0; ; attempt++) {
    if (!breaker.tryPass()) {
      throw new BreakerOpenError(
        `${spec.name}: circuit breaker open after repeated failures (${conn.lastError ?? 'no detail'}); ` +
          `next trial in ${Math.ceil(breaker.retryInMs() / 1000)} s`,
      );
    }
    try {
      const result = await conn.callTool(tool, args, opts.meta, opts.signal, opts.onProgress);
      breaker.success();
      return result;
    } catch (err) {
      if (isCallerFault(err)) {
        breaker.success();
        throw fail(err);
      }
      if (isSessionLost(err) && !sessionRetried) {
        sessionRetried = true;
        breaker.success();
        await conn.reconnect('the server lost our session (HTTP 404)');
        attempt -= 1;
        continue;
      }
      breaker.failure();
      if (spec.url && isUnreachable(err)) {
        conn.unreachable(`the server cannot be reached: ${(err as Error).message}`);
        throw fail(err);
      }
      if (attempt + 1 >= attempts || opts.signal?.aborted) {
        throw fail(err);
      }
      await sleep(backoffDelay(attempt, spec.retry.baseDelayMs, spec.retry.maxDelayMs), opts.signal);
    }
  }
}
