/** JSON-RPC error answers written straight to a Node response (the MCP endpoint's own refusals). */
import type { ServerResponse } from 'node:http';
import { HTTP_STATUS, type HubError } from '../../core/errors.js';

export function writeRpcError(
  res: ServerResponse,
  status: number,
  message: string,
  code = -32000,
  headers: Record<string, string> = {},
  extra: { data?: unknown; id?: string | number | null } = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  const error = extra.data === undefined ? { code, message } : { code, message, data: extra.data };
  res.end(JSON.stringify({ jsonrpc: '2.0', error, id: extra.id ?? null }));
}

/** A hub error as a JSON-RPC error: HTTP status from its code, Retry-After, the error (code, details) as data. */
export function writeHubError(res: ServerResponse, err: HubError, id?: string | number | null): void {
  const headers: Record<string, string> =
    err.retryAfterSeconds !== undefined ? { 'retry-after': String(err.retryAfterSeconds) } : {};
  writeRpcError(res, HTTP_STATUS[err.code], err.message, -32000, headers, { data: err.toJSON(), id });
}
