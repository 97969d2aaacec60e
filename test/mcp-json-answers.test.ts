/**
 * 2025-era sessions answer each POST as JSON or as an SSE stream, per request: a plain call (no
 * progress token, nothing related to send) gets one `application/json` body; a call with a progress
 * token (a downstream call held for approval) and `register_agent` in an anonymous session (which
 * tells the session its tool list changed) get the SSE stream and their notifications. Official SDK
 * client with a fetch that records each answer's content type; real fixture server behind a real hub.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channels } from '../src/bus/bus.js';
import type { TestHub } from './helpers/hub.js';
import { eventually, pendingApproval, startApprovalFixtureHub } from './gateway-support.js';
import { structured, textOf } from './mcp-clients.js';

interface Answer {
  method: string;
  tool?: string;
  type: string;
  status: number;
  session: string | null;
}

let t: TestHub;
const clients: Client[] = [];

/** A 2025-era SDK client whose every answered request is recorded (method, tool, content type). */
async function recordingClient(
  token?: string,
): Promise<{ client: Client; answers: Answer[]; sessionId: () => string }> {
  const answers: Answer[] = [];
  const recording = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const res = await fetch(input, init);
    if (init?.method === 'POST' && typeof init.body === 'string') {
      const msg = JSON.parse(init.body) as { id?: unknown; method: string; params?: { name?: string } };
      if (msg.id !== undefined) {
        answers.push({
          method: msg.method,
          ...(msg.params?.name !== undefined ? { tool: msg.params.name } : {}),
          type: res.headers.get('content-type') ?? '',
          status: res.status,
          session: res.headers.get('mcp-session-id'),
        });
      }
    }
    return res;
  };
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', t.url), {
    requestInit: { headers: token ? { authorization: `Bearer ${token}` } : {} },
    fetch: recording,
  });
  const client = new Client(
    { name: 'json-answers', version: '1.0.0' },
    { versionNegotiation: { mode: 'legacy' } },
  );
  await client.connect(transport);
  clients.push(client);
  return { client, answers, sessionId: () => transport.sessionId ?? '' };
}

beforeAll(async () => {
  t = await startApprovalFixtureHub();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  await t?.close();
});

/** A raw POST on a session, with the headers a Streamable HTTP client sends; `headers` override them. */
function sessionPost(
  token: string,
  sessionId: string,
  body: object,
  opts: { headers?: Record<string, string>; signal?: AbortSignal } = {},
) {
  return fetch(new URL('/mcp', t.url), {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'mcp-session-id': sessionId,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...opts.headers,
    },
    body: JSON.stringify(body),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
}

describe('JSON or SSE per request in a 2025-era session', () => {
  it('plain requests get one JSON body with the session id; initialize keeps the SSE stream', async () => {
    const agent = await t.register('json-plain');
    const { client, answers, sessionId } = await recordingClient(agent.token);
    await client.listTools();
    expect(structured(await client.callTool({ name: 'whoami', arguments: {} })).agent.agent_id).toBe(
      agent.id,
    );
    expect(
      textOf(await client.callTool({ name: 'fixture__fixture_echo', arguments: { text: 'plain' } })),
    ).toBe('plain');
    await client.ping();
    // A refused call is answered the same way (a tool error in a JSON body).
    const refused = await client.callTool({
      name: 'send_message',
      arguments: { to: 'nobody-here', body: 'x' },
    });
    expect(refused.isError).toBe(true);

    expect(answers[0]).toMatchObject({ method: 'initialize', status: 200 });
    expect(answers[0].type).toContain('text/event-stream');
    const rest = answers.slice(1);
    expect(rest.map((a) => a.tool ?? a.method)).toEqual([
      'tools/list',
      'whoami',
      'fixture__fixture_echo',
      'ping',
      'send_message',
    ]);
    for (const a of rest) {
      expect(a).toMatchObject({ status: 200, session: sessionId() });
      expect(a.type).toContain('application/json');
    }
  });

  it('a downstream call held for approval with a progress token gets the SSE stream and its progress', async () => {
    const agent = await t.register('json-approval');
    const { client, answers } = await recordingClient(agent.token);
    const progress: string[] = [];
    const call = client.callTool({ name: 'fixture__fixture_echo', arguments: { text: 'danger held' } }, {
      onprogress: (p: { message?: string }) => progress.push(p.message ?? ''),
    } as never);
    const held = await pendingApproval(t, 'danger held');
    await eventually(() => progress.length > 0, 15_000, 'a progress notification');
    expect(progress[0]).toContain(held.id);
    const res = await t.api('POST', `/api/v1/gateway/approvals/${held.id}/approve`, { token: t.adminToken });
    expect(res.status).toBe(200);
    expect(textOf(await call)).toBe('danger held');
    const answered = answers.find((a) => a.tool === 'fixture__fixture_echo')!;
    expect(answered.type).toContain('text/event-stream');
  });

  it('register_agent in an anonymous session gets the SSE stream and tools/list_changed; later calls get JSON', async () => {
    const { client, answers } = await recordingClient();
    let changed = 0;
    client.setNotificationHandler('notifications/tools/list_changed', () => {
      changed += 1;
    });
    const registered = structured(
      await client.callTool({ name: 'register_agent', arguments: { name: 'json-bound' } }),
    );
    expect(registered.session_bound).toBe(true);
    // The notification travels on the call's own stream, before its result.
    expect(changed).toBe(1);
    expect(structured(await client.callTool({ name: 'whoami', arguments: {} })).agent.agent_id).toBe(
      registered.agent_id,
    );
    expect(answers.find((a) => a.tool === 'register_agent')!.type).toContain('text/event-stream');
    expect(answers.find((a) => a.tool === 'whoami')!.type).toContain('application/json');
  });

  it('keeps the transport rules on the JSON path: Accept, Content-Type, protocol version, session', async () => {
    const agent = await t.register('json-rules');
    const { sessionId } = await recordingClient(agent.token);
    const post = (
      headers: Record<string, string>,
      body: object = { jsonrpc: '2.0', id: 7, method: 'ping' },
    ) => sessionPost(agent.token, sessionId(), body, { headers });

    const ok = await post({});
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toContain('application/json');
    expect(await ok.json()).toEqual({ jsonrpc: '2.0', id: 7, result: {} });

    const jsonOnly = await post({ accept: 'application/json' });
    expect(jsonOnly.status).toBe(406);
    expect(((await jsonOnly.json()) as { error: { message: string } }).error.message).toContain(
      'must accept both',
    );

    const text = await post({ 'content-type': 'text/plain' });
    expect(text.status).toBe(415);

    const version = await post({ 'mcp-protocol-version': '1999-01-01' });
    expect(version.status).toBe(400);
    expect(((await version.json()) as { error: { message: string } }).error.message).toContain(
      'Unsupported protocol version',
    );

    const unknown = await post({ 'mcp-session-id': 'no-such-session' });
    expect(unknown.status).toBe(404);

    // The same request with a progress token is streamed.
    const streamed = await post(
      {},
      {
        jsonrpc: '2.0',
        id: 8,
        method: 'ping',
        params: { _meta: { progressToken: 1 } },
      },
    );
    expect(streamed.status).toBe(200);
    expect(streamed.headers.get('content-type')).toContain('text/event-stream');
    expect(await streamed.text()).toContain('"id":8');
  });

  it('a request answered with JSON is cancelled when its client goes away (the waiter is freed)', async () => {
    const agent = await t.register('json-gone');
    const { sessionId } = await recordingClient(agent.token);
    const abort = new AbortController();
    const waiting = sessionPost(
      agent.token,
      sessionId(),
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'wait_for_messages', arguments: { timeout_seconds: 120 } },
      },
      { signal: abort.signal },
    ).catch((err: Error) => err);
    const channel = channels.agent(agent.id);
    await eventually(() => t.hub.bus.listenerCount(channel) > 0, 15_000, 'a blocked wait');
    abort.abort();
    expect(await waiting).toBeInstanceOf(Error);
    await eventually(() => t.hub.bus.listenerCount(channel) === 0, 15_000, 'the waiter freed');
  });
});
