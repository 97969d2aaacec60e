/** How failures of a downstream call become hub errors (stable codes, messages naming the server). */
import { ProtocolError, SdkError, SdkErrorCode, SdkHttpError } from '@modelcontextprotocol/client';
import { HubError } from '../../core/errors.js';

/** The server lost our HTTP session (404 on a request that carried one): re-initialize and retry once. */
export function isSessionLost(err: unknown): boolean {
  return err instanceof SdkHttpError && err.status === 404;
}

/** An HTTP server that cannot be reached at all (refused, reset, DNS): the connection is gone. */
export function isUnreachable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (
      typeof code === 'string' &&
      /^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENOTFOUND|UND_ERR_SOCKET)$/.test(code)
    )
      return true;
    if (e instanceof TypeError && e.message === 'fetch failed') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** A downstream refusal of the arguments (JSON-RPC invalid params): the caller's fault, not the server's. */
export function isCallerFault(err: unknown): boolean {
  return err instanceof ProtocolError && (err.code === -32602 || err.code === -32601);
}

export function downstreamError(
  err: unknown,
  server: string,
  tool: string,
  timeoutMs: number,
  timeoutSetting = "the server's timeoutSeconds",
): HubError {
  if (err instanceof HubError) return err;
  if (err instanceof SdkError && err.code === SdkErrorCode.RequestTimeout) {
    return new HubError(
      'timeout',
      `${server}: tool ${tool} did not answer within ${timeoutMs / 1000} s (${timeoutSetting}); the call was cancelled`,
    );
  }
  if (isCallerFault(err)) {
    return new HubError(
      'invalid_input',
      `${server}: ${tool} refused the arguments: ${(err as Error).message}`,
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new HubError('unavailable', `${server}: ${tool} failed: ${message.slice(0, 500)}`);
}

/** A call refused because the server's circuit breaker is open. */
export class BreakerOpenError extends HubError {
  constructor(message: string) {
    super('unavailable', message);
  }
}

/** A call held for approval that was denied, timed out or cancelled. */
export class ApprovalDeniedError extends HubError {
  constructor(message: string) {
    super('forbidden', message);
  }
}

/** The type label of a failed call (metrics): breaker_open, denied, or the error code. */
export function errorTypeOf(err: unknown): string {
  if (err instanceof BreakerOpenError) return 'breaker_open';
  if (err instanceof ApprovalDeniedError) return 'denied';
  if (err instanceof HubError) return err.code;
  return 'internal';
}
