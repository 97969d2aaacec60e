/**
 * Plain 2026-07-28 requests are answered on one long-lived hub MCP server, straight on the Node
 * response (src/surfaces/mcp/modern-direct.ts); the rest go through the SDK's handler. Official SDK
 * client (2026-07-28, with a fetch that records each request and answer) against a real hub with the
 * fixture server behind it; raw POSTs made from a recorded request, varied one thing at a time, for
 * the protocol rules (the SDK's answers) and for two requests in flight with the same JSON-RPC id.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestHub } from './helpers/hub.js';
import { eventually, pendingApproval, startApprovalFixtureHub } from './gateway-support.js';
import { structured, textOf } from './mcp-clients.js';

interface Exchange {
  headers: Record<string, string>;
  body: { jsonrpc: '2.0'; id: number | string; method: string; params: Record<string, any> };
  status: number;
  type: string;
}

let t: TestHub;
const clients: Client[] = [];

async function recordingClient(token: string): Promise<{ client: Client; exchanges: Exchange[] }> {
  const exchanges: Exchange[] = [];
  const recording = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const res = await fetch(input, init);
    if (init?.method === 'POST' && typeof init.body === 'string') {
      const body = JSON.parse(init.body) as Exchange['body'];
      if (body.id !== undefined) {
        exchanges.push({
          headers: Object.fromEntries(new Headers(init.headers).entries()),
          body,
          status: res.status,
          type: res.headers.get('content-type') ?? '',
        });
      }
    }
    return res;
  };
  const client = new Client(
    { name: 'modern-direct', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  await client.connect(
    new StreamableHTTPClientTransport(new URL('/mcp', t.url), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
      fetch: recording,
    }),
  );
  clients.push(client);
  return { client, exchanges };
}

/** A raw POST of a recorded request's headers and body, each overridden by the given parts. */
async function replay(
  recorded: Exchange,
  change: {
    headers?: Record<string, string | undefined>;
    body?: (body: Exchange['body']) => unknown;
  } = {},
): Promise<{ status: number; type: string; json: any }> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...recorded.headers, ...change.headers }))
    if (v !== undefined) headers[k] = v;
  const body = change.body ? change.body(structuredClone(recorded.body)) : recorded.body;
  const res = await fetch(new URL('/mcp', t.url), { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  const data = type.startsWith('text/event-stream')
    ? [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]!)).at(-1)
    : text
      ? JSON.parse(text)
      : undefined;
  return { status: res.status, type, json: data };
}

beforeAll(async () => {
  t = await startApprovalFixtureHub({ rateLimit: { enabled: false } });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  await t?.close();
});

describe('plain 2026-07-28 requests answered on the Node response', () => {
  it('hub tools, downstream tools, lists and a refused call: one JSON body each, as the caller', async () => {
    const agent = await t.register('direct-plain');
    const { client, exchanges } = await recordingClient(agent.token);
    await eventually(
      async () => (await client.listTools()).tools.some((tool) => tool.name === 'fixture__fixture_echo'),
      15_000,
      'the downstream tool listed',
    );
    expect(structured(await client.callTool({ name: 'whoami', arguments: {} })).agent.agent_id).toBe(
      agent.id,
    );
    const echoed = await client.callTool({ name: 'fixture__fixture_echo', arguments: { text: 'plain' } });
    expect(textOf(echoed)).toBe('plain');
    const refused = await client.callTool({ name: 'send_message', arguments: { to: 'nobody', body: 'x' } });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/^not_found: |^invalid_argument: /);
    // An unknown tool is a JSON-RPC error, in-band (HTTP 200), as the SDK's handler answers it.
    await expect(client.callTool({ name: 'fixture__no_such_tool', arguments: {} })).rejects.toThrow(
      /not found/,
    );
    expect((await client.listResources()).resources.length).toBeGreaterThan(0);
    await client.listPrompts();

    const calls = exchanges.filter((e) => e.body.method !== 'server/discover');
    expect(calls.map((e) => e.body.params?.name ?? e.body.method)).toEqual(
      expect.arrayContaining([
        'tools/list',
        'whoami',
        'fixture__fixture_echo',
        'send_message',
        'fixture__no_such_tool',
        'resources/list',
        'prompts/list',
      ]),
    );
    for (const e of calls) {
      expect(e.status, `${e.body.method} ${e.body.params?.name ?? ''}`).toBe(200);
      expect(e.type).toContain('application/json');
    }
  });

  it('two requests in flight with the same id each get their own answer, with that id', async () => {
    const agent = await t.register('direct-same-id');
    const { client, exchanges } = await recordingClient(agent.token);
    await client.callTool({ name: 'fixture__fixture_echo', arguments: { text: 'first' } });
    const echo = exchanges.find((e) => e.body.params?.name === 'fixture__fixture_echo')!;
    await client.callTool({ name: 'whoami', arguments: {} });
    const whoami = exchanges.find((e) => e.body.params?.name === 'whoami')!;

    // Held for approval (no progress token: a plain request), with id 42...
    const held = replay(echo, {
      body: (b) => ({ ...b, id: 42, params: { ...b.params, arguments: { text: 'danger same id' } } }),
    });
    const approval = await pendingApproval(t, 'danger same id');
    // ...while another request with id 42 is answered at once.
    const other = await replay(whoami, { body: (b) => ({ ...b, id: 42 }) });
    expect(other.status).toBe(200);
    expect(other.json.id).toBe(42);
    expect(other.json.result.structuredContent.agent.agent_id).toBe(agent.id);

    const approved = await t.api('POST', `/api/v1/gateway/approvals/${approval.id}/approve`, {
      token: t.adminToken,
    });
    expect(approved.status).toBe(200);
    const answer = await held;
    expect(answer.status).toBe(200);
    expect(answer.type).toContain('application/json');
    expect(answer.json.id).toBe(42);
    expect(answer.json.result.content[0].text).toBe('danger same id');
  });

  it('a held call with a progress token still gets its SSE stream and progress', async () => {
    const agent = await t.register('direct-progress');
    const { client, exchanges } = await recordingClient(agent.token);
    const progress: string[] = [];
    const call = client.callTool({ name: 'fixture__fixture_echo', arguments: { text: 'danger progress' } }, {
      onprogress: (p: { message?: string }) => progress.push(p.message ?? ''),
    } as never);
    const held = await pendingApproval(t, 'danger progress');
    await eventually(() => progress.length > 0, 15_000, 'a progress notification');
    expect(progress[0]).toContain(held.id);
    await t.api('POST', `/api/v1/gateway/approvals/${held.id}/approve`, { token: t.adminToken });
    expect(textOf(await call)).toBe('danger progress');
    const answered = exchanges.find((e) => e.body.params?.name === 'fixture__fixture_echo')!;
    expect(answered.type).toContain('text/event-stream');
  });

  it('keeps the protocol rules: content type, standard headers, envelope, unknown method', async () => {
    const agent = await t.register('direct-rules');
    const { client, exchanges } = await recordingClient(agent.token);
    await client.callTool({ name: 'whoami', arguments: {} });
    const call = exchanges.find((e) => e.body.params?.name === 'whoami')!;
    expect(call.headers['mcp-method']).toBe('tools/call');
    expect(call.headers['mcp-name']).toBe('whoami');

    const ok = await replay(call);
    expect(ok.status).toBe(200);
    expect(ok.json.result.structuredContent.agent.agent_id).toBe(agent.id);

    expect((await replay(call, { headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    const noMethod = await replay(call, { headers: { 'mcp-method': undefined } });
    expect(noMethod.status).toBe(400);
    expect(noMethod.json.error.code).toBe(-32020);
    const wrongMethod = await replay(call, { headers: { 'mcp-method': 'tools/list' } });
    expect(wrongMethod.status).toBe(400);
    expect(wrongMethod.json.error.code).toBe(-32020);
    const noName = await replay(call, { headers: { 'mcp-name': undefined } });
    expect(noName.status).toBe(400);
    expect(noName.json.error.message).toContain('Mcp-Name');
    const wrongName = await replay(call, { headers: { 'mcp-name': 'send_message' } });
    expect(wrongName.status).toBe(400);
    expect(wrongName.json.error.message).toContain('Mcp-Name');
    // A Base64 Mcp-Name that decodes to the body's name is accepted (answered by the SDK's handler).
    const b64 = await replay(call, {
      headers: { 'mcp-name': `=?base64?${Buffer.from('whoami').toString('base64')}?=` },
    });
    expect(b64.status).toBe(200);
    expect(b64.json.result.structuredContent.agent.agent_id).toBe(agent.id);
    const badB64 = await replay(call, { headers: { 'mcp-name': '=?base64?!!!?=' } });
    expect(badB64.status).toBe(400);
    expect(badB64.json.error.code).toBe(-32020);
    const noVersion = await replay(call, { headers: { 'mcp-protocol-version': undefined } });
    expect(noVersion.status).toBe(400);
    const otherVersion = await replay(call, { headers: { 'mcp-protocol-version': '2025-11-25' } });
    expect(otherVersion.status).toBe(400);
    // A method the hub does not serve: answered by the SDK (method not found), the same as before.
    const complete = await replay(call, {
      headers: { 'mcp-method': 'completion/complete', 'mcp-name': undefined },
      body: (b) => ({
        ...b,
        method: 'completion/complete',
        params: {
          _meta: b.params._meta,
          ref: { type: 'ref/prompt', name: 'nope' },
          argument: { name: 'a', value: 'b' },
        },
      }),
    });
    expect(complete.status).toBe(404);
    expect(complete.json.error.code).toBe(-32601);
  });
});
