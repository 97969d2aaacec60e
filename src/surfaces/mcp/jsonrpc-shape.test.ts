/**
 * The zod-free checks of jsonrpc-shape.ts never disagree with the SDK: whenever isPlainJsonRpcRequest
 * is true, isJSONRPCRequest is too; whenever surelyLegacyPost is true, classifyInboundRequest routes
 * the POST to the 2025-era sessions. And they do say yes to the usual session requests.
 */
import {
  classifyInboundRequest,
  isJSONRPCRequest,
  PROTOCOL_VERSION_META_KEY,
  RELATED_TASK_META_KEY,
} from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { isPlainJsonRpcRequest, surelyLegacyPost } from './jsonrpc-shape.js';

const call = {
  jsonrpc: '2.0',
  id: 7,
  method: 'tools/call',
  params: { name: 'x__echo', arguments: { a: 1 } },
};

const bodies: unknown[] = [
  call,
  { ...call, id: 'abc' },
  { ...call, id: 1.5 },
  { ...call, id: 2 ** 60 },
  { ...call, id: null },
  { ...call, id: undefined },
  { ...call, jsonrpc: '1.0' },
  { ...call, method: 5 },
  { ...call, extra: true },
  { ...call, result: {} },
  { ...call, error: { code: 1, message: 'x' } },
  { jsonrpc: '2.0', id: 1, result: {} },
  { jsonrpc: '2.0', id: 1, error: { code: -32000, message: 'x' } },
  { jsonrpc: '2.0', method: 'notifications/initialized' },
  { jsonrpc: '2.0', id: 1, method: 'ping' },
  { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25' } },
  { ...call, params: [] },
  { ...call, params: null },
  { ...call, params: 'x' },
  { ...call, params: { ...call.params, _meta: {} } },
  { ...call, params: { ...call.params, _meta: { progressToken: 3 } } },
  { ...call, params: { ...call.params, _meta: { progressToken: 'p' } } },
  { ...call, params: { ...call.params, _meta: { progressToken: 1.5 } } },
  { ...call, params: { ...call.params, _meta: { progressToken: null } } },
  { ...call, params: { ...call.params, _meta: { other: { deep: 1 } } } },
  { ...call, params: { ...call.params, _meta: [] } },
  { ...call, params: { ...call.params, _meta: null } },
  { ...call, params: { ...call.params, _meta: { [RELATED_TASK_META_KEY]: { taskId: 't' } } } },
  { ...call, params: { ...call.params, _meta: { [PROTOCOL_VERSION_META_KEY]: '2026-07-28' } } },
  { ...call, params: { ...call.params, _meta: { [PROTOCOL_VERSION_META_KEY]: 5 } } },
  { ...call, params: { ...call.params, task: { ttl: 5 } } },
  [call],
  [],
  'text',
  null,
  42,
];
const headers = [
  undefined,
  '2025-11-25',
  '2025-06-18',
  '2024-11-05',
  '2026-07-28',
  '2027-01-01',
  ' 2025-11-25',
  'abc',
  '',
];

describe('zod-free JSON-RPC checks', () => {
  it('isPlainJsonRpcRequest is true only where isJSONRPCRequest is', () => {
    let yes = 0;
    for (const body of bodies) {
      if (!isPlainJsonRpcRequest(body)) continue;
      yes++;
      expect({ body, sdk: isJSONRPCRequest(body) }).toEqual({ body, sdk: true });
    }
    expect(yes).toBeGreaterThanOrEqual(8);
    expect(isPlainJsonRpcRequest(call)).toBe(true);
  });

  it('surelyLegacyPost is true only where the classifier says legacy', () => {
    let yes = 0;
    for (const body of bodies) {
      for (const header of headers) {
        if (!surelyLegacyPost(body, header)) continue;
        yes++;
        const kind = classifyInboundRequest({
          httpMethod: 'POST',
          body,
          ...(header !== undefined ? { protocolVersionHeader: header } : {}),
        }).kind;
        expect({ body, header, kind }).toEqual({ body, header, kind: 'legacy' });
      }
    }
    expect(yes).toBeGreaterThanOrEqual(20);
    expect(surelyLegacyPost(call, '2025-11-25')).toBe(true);
    expect(surelyLegacyPost(call, undefined)).toBe(true);
    expect(surelyLegacyPost(call, '2026-07-28')).toBe(false);
  });
});
