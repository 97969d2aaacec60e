/**
 * A JSON-RPC request body told without zod: `isPlainJsonRpcRequest` is true only for a body the SDK's
 * `JSONRPCRequestSchema` surely accepts (a strict object: `jsonrpc` "2.0", an id that is a string or a
 * safe integer, a string `method`, optional object `params` whose optional `_meta` is an object with
 * no progress token other than a string or a safe integer and no related-task key). False means "not
 * sure": the caller asks the SDK (`isJSONRPCRequest`, `classifyInboundRequest`) as before. Every
 * session tool call used to run that schema two or three times (routing, then the session transport).
 */
import { PROTOCOL_VERSION_META_KEY, RELATED_TASK_META_KEY } from '@modelcontextprotocol/server';

/** The first protocol revision of the 2026 era (the SDK's `isModernProtocolVersion`: `>=` this). */
const FIRST_MODERN_VERSION = '2026-07-28';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIdLike(value: unknown): boolean {
  return typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value));
}

export function isPlainJsonRpcRequest(body: unknown): boolean {
  if (!isPlainObject(body)) return false;
  for (const key in body) {
    if (key !== 'jsonrpc' && key !== 'id' && key !== 'method' && key !== 'params') return false;
  }
  if (body.jsonrpc !== '2.0' || typeof body.method !== 'string' || !isIdLike(body.id)) return false;
  const params = body.params;
  if (params === undefined) return true;
  if (!isPlainObject(params)) return false;
  const meta = params._meta;
  if (meta === undefined) return true;
  if (!isPlainObject(meta) || RELATED_TASK_META_KEY in meta) return false;
  return meta.progressToken === undefined || isIdLike(meta.progressToken);
}

/**
 * True when the SDK's classifier (`classifyInboundRequest`) surely routes this POST to the 2025-era
 * sessions: a plain JSON-RPC request (above), not `initialize`, without the 2026-07-28 envelope claim
 * in `_meta`, and an `Mcp-Protocol-Version` header that is absent or names an earlier version (compared
 * as the SDK does; a value with surrounding blanks is left to the SDK). False: not sure.
 */
export function surelyLegacyPost(body: unknown, protocolVersionHeader: string | undefined): boolean {
  if (!isPlainJsonRpcRequest(body)) return false;
  const msg = body as { method: string; params?: { _meta?: Record<string, unknown> } };
  if (msg.method === 'initialize') return false;
  const meta = msg.params?._meta;
  if (meta !== undefined && PROTOCOL_VERSION_META_KEY in meta) return false;
  const v = protocolVersionHeader;
  return v === undefined || (v.trim() === v && v < FIRST_MODERN_VERSION);
}
