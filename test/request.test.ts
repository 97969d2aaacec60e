/**
 * request/respond between surfaces: an MCP agent (official SDK client) asks a WebSocket client and
 * the other way round; a request nobody answers fails with a `timeout` error; bad input stores nothing.
 */
import { describe, expect, it } from 'vitest';
import { channels } from '../src/bus/bus.js';
import { AgentClient } from '../src/client/index.js';
import { hubPerTest, type TestHub } from './helpers/hub.js';
import { connect2025, connect2026, structured, textOf } from './mcp-clients.js';
import { WsClient } from './ws-resume-client.js';

let t: TestHub | undefined;
const cleanups: Array<() => Promise<unknown>> = [];
const hubs = hubPerTest(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

describe('request / respond', () => {
  it('an MCP agent asks a WebSocket client, which answers with a send frame of type response; progress while waiting', async () => {
    t = await hubs.start();
    const asker = await t.register('asker');
    const answerer = await t.register('answerer');
    const ws = await WsClient.connect(t.url, answerer.id, { token: answerer.token });
    cleanups.push(() => ws.close());
    const mcp = await connect2025(t.url, { token: asker.token });
    cleanups.push(() => mcp.close());

    const progress: Array<{ progress: number; total?: number; message?: string }> = [];
    let firstProgress!: () => void;
    const progressed = new Promise<void>((resolve) => {
      firstProgress = resolve;
    });
    const asking = mcp.callTool(
      {
        name: 'request',
        arguments: { to: answerer.id, body: { question: 'what is 6*7?' }, timeout_seconds: 60 },
      },
      {
        timeout: 90_000,
        onprogress: (p) => {
          progress.push(p);
          firstProgress();
        },
      },
    );
    const frame = await ws.waitFor(
      (f) => f.type === 'message' && f.message.type === 'request',
      15_000,
      'the request',
    );
    expect(frame.message.from).toBe(asker.id);
    expect(frame.message.body).toEqual({ question: 'what is 6*7?' });
    // Answer only once the asker has seen a progress notification.
    await progressed;
    const sent = await ws.call(
      {
        type: 'send',
        message_type: 'response',
        to: asker.id,
        correlation_id: frame.message.correlation_id,
        reply_to: frame.message.message_id,
        body: { answer: 42 },
      },
      's1',
    );
    const result = structured(await asking);
    expect(result.request_id).toBe(frame.message.message_id);
    expect(result.correlation_id).toBe(frame.message.correlation_id);
    expect(result.response).toMatchObject({
      message_id: sent.message_id,
      from: answerer.id,
      type: 'response',
      body: { answer: 42 },
      thread_id: result.thread_id,
    });
    expect(progress[0].total).toBe(60);
    expect(progress[0].message).toContain('waiting for a response');
    // The answer was handed to the request call: it is not repeated as unread mail.
    const inbox = await t.api('GET', '/api/v1/messages', { token: asker.token });
    expect(inbox.body.messages).toEqual([]);
  }, 60_000);

  it('a WebSocket client asks an MCP agent, which answers with respond', async () => {
    t = await hubs.start();
    const asker = await t.register('ws-asker');
    const answerer = await t.register('mcp-answerer');
    const ws = await WsClient.connect(t.url, asker.id, { token: asker.token });
    cleanups.push(() => ws.close());
    const mcp = await connect2026(t.url, { token: answerer.token });
    cleanups.push(() => mcp.close());

    const asking = ws.call(
      {
        type: 'call',
        op: 'request',
        input: { to: answerer.id, subject: 'review', body: 'ok to merge?', timeout_seconds: 60 },
      },
      'r1',
      60_000,
    );
    const waited = structured(
      await mcp.callTool({ name: 'wait_for_messages', arguments: { timeout_seconds: 30 } }),
    );
    const req = waited.messages.find((m: any) => m.type === 'request');
    expect(req).toMatchObject({ from: asker.id, subject: 'review', body: 'ok to merge?' });
    const answered = structured(
      await mcp.callTool({
        name: 'respond',
        arguments: { request_id: req.message_id, body: 'yes, merge it' },
      }),
    );
    expect(answered).toMatchObject({ to: asker.id, correlation_id: req.correlation_id });
    const result = await asking;
    expect(result.response).toMatchObject({
      from: answerer.id,
      type: 'response',
      body: 'yes, merge it',
      reply_to: req.message_id,
      correlation_id: req.correlation_id,
    });
  });

  it('a request nobody answers fails with a timeout error, over MCP and REST; a late answer lands in the inbox', async () => {
    t = await hubs.start();
    const asker = await t.register('impatient');
    const silent = await t.register('silent');
    const mcp = await connect2025(t.url, { token: asker.token });
    cleanups.push(() => mcp.close());

    const failed = await mcp.callTool({
      name: 'request',
      arguments: { to: silent.id, body: 'hello?', timeout_seconds: 1 },
    });
    expect(failed.isError).toBe(true);
    expect(textOf(failed)).toMatch(/^timeout: No response to request msg_/);

    const rest = await t.api('POST', '/api/v1/requests', {
      token: asker.token,
      body: { to: silent.id, body: 'still there?', timeout_seconds: 1 },
    });
    expect(rest.status).toBe(504);
    expect(rest.body.error.code).toBe('timeout');
    const { request_id } = rest.body.error.details;

    const late = await t.api('POST', `/api/v1/requests/${request_id}/respond`, {
      token: silent.token,
      body: { body: 'sorry, I was away' },
    });
    expect(late.status).toBe(200);
    const inbox = await t.api('GET', '/api/v1/messages', { token: asker.token });
    expect(inbox.body.messages.map((m: any) => [m.type, m.body, m.reply_to])).toEqual([
      ['response', 'sorry, I was away', request_id],
    ]);
  });

  it('only a recipient may respond, only to a request; an answer from someone else does not end the wait', async () => {
    t = await hubs.start();
    const asker = await t.register('asker');
    const asked = await t.register('asked');
    const outsider = await t.register('outsider');
    const asking = t.api('POST', '/api/v1/requests', {
      token: asker.token,
      body: { to: asked.id, body: 'q', timeout_seconds: 60 },
    });
    const ws = await WsClient.connect(t.url, asked.id, { token: asked.token, since: '0' });
    cleanups.push(() => ws.close());
    const frame = await ws.waitFor((f) => f.type === 'message' && f.message.type === 'request');

    // An outsider forging a response with the correlation id does not answer the request.
    const forged = await t.api('POST', '/api/v1/messages', {
      token: outsider.token,
      body: { to: asker.id, type: 'response', correlation_id: frame.message.correlation_id, body: 'forged' },
    });
    expect(forged.status).toBe(200);
    const notMine = await t.api('POST', `/api/v1/requests/${frame.message.message_id}/respond`, {
      token: outsider.token,
      body: { body: 'me too' },
    });
    expect(notMine.status).toBe(404);
    const plain = await t.api('POST', '/api/v1/messages', {
      token: asker.token,
      body: { to: asked.id, body: 'hi' },
    });
    const notRequest = await t.api('POST', `/api/v1/requests/${plain.body.message_id}/respond`, {
      token: asked.token,
      body: { body: 'x' },
    });
    expect(notRequest.status).toBe(400);
    expect(notRequest.body.error.message).toContain('request_id');

    await t.api('POST', `/api/v1/requests/${frame.message.message_id}/respond`, {
      token: asked.token,
      body: { body: 'the real answer' },
    });
    const result = await asking;
    expect(result.status).toBe(200);
    expect(result.body.response).toMatchObject({ from: asked.id, body: 'the real answer' });
  });

  it('a request whose caller goes away stops waiting (its WebSocket closed)', async () => {
    t = await hubs.start();
    const asker = await t.register('leaver');
    const asked = await t.register('asked');
    const channel = channels.agent(asker.id);
    const ws = await WsClient.connect(t.url, asker.id, { token: asker.token });
    const baseline = t.hub.bus.listenerCount(channel); // the socket's own subscription
    ws.send({
      type: 'call',
      id: 'q',
      op: 'request',
      input: { to: asked.id, body: 'wait for me', timeout_seconds: 300 },
    });
    while (t.hub.bus.listenerCount(channel) === baseline) await new Promise((r) => setTimeout(r, 10));
    await ws.close();
    while (t.hub.bus.listenerCount(channel) > 0) await new Promise((r) => setTimeout(r, 10));
    expect(t.hub.bus.listenerCount(channel)).toBe(0);
    // The question was asked all the same: it is in the other agent's inbox.
    const inbox = await t.api('GET', '/api/v1/messages', { token: asked.token });
    expect(inbox.body.messages.map((m: any) => [m.type, m.body])).toEqual([['request', 'wait for me']]);
  });

  it('works with the TypeScript AgentClient both ways, and a response that only names the request in reply_to counts', async () => {
    t = await hubs.start();
    const hub = t;
    const sdk = new AgentClient({ url: hub.url, name: 'sdk-agent' });
    cleanups.push(() => sdk.close());
    await sdk.register();
    await sdk.listen(async (m) => {
      if (m.type === 'request') await sdk.respond(m, { echoed: m.body });
    });
    const rest = await hub.register('rest-agent');

    const asked = await hub.api('POST', '/api/v1/requests', {
      token: rest.token,
      body: { to: sdk.id, body: 'ping', timeout_seconds: 30 },
    });
    expect(asked.status, JSON.stringify(asked.body)).toBe(200);
    expect(asked.body.response).toMatchObject({ from: sdk.id, body: { echoed: 'ping' } });

    const sdkAsking = sdk.request(rest.id, { q: 'status?' }, { timeoutMs: 30_000 });
    const ws = await WsClient.connect(hub.url, rest.id, { token: rest.token, since: '0' });
    cleanups.push(() => ws.close());
    const frame = await ws.waitFor((f) => f.type === 'message' && f.message.type === 'request');
    await hub.api('POST', `/api/v1/requests/${frame.message.message_id}/respond`, {
      token: rest.token,
      body: { body: { status: 'green' } },
    });
    expect((await sdkAsking).body).toEqual({ status: 'green' });

    // A plain send_message answer with reply_to (no correlation id) ends a request call too.
    const asking = hub.api('POST', '/api/v1/requests', {
      token: sdk.token ?? '',
      body: { to: rest.id, body: 'second', timeout_seconds: 30 },
    });
    const second = await ws.waitFor((f) => f.type === 'message' && f.message.body === 'second');
    await hub.api('POST', '/api/v1/messages', {
      token: rest.token,
      body: { to: sdk.id, type: 'response', reply_to: second.message.message_id, body: 'got it' },
    });
    expect((await asking).body.response).toMatchObject({ from: rest.id, body: 'got it' });
  });

  it('bad input gets a clear error naming the field and sends nothing', async () => {
    t = await hubs.start();
    const asker = await t.register('asker');
    const peer = await t.register('peer');
    const cases: Array<[unknown, number, RegExp]> = [
      [{ body: 'no one' }, 400, /to/],
      [{ to: peer.id, timeout_seconds: 301 }, 400, /timeout_seconds/],
      [{ to: peer.id, timeout_seconds: -1 }, 400, /timeout_seconds/],
      [{ to: peer.id, colour: 'red' }, 400, /colour/],
      [{ to: 'nobody-here' }, 404, /nobody-here/],
      [{ to: 'capability:nobody-has-this' }, 404, /to: nobody is registered/],
      [{ to: peer.id, from: peer.id }, 403, /cannot act as/],
    ];
    for (const [body, status, message] of cases) {
      const res = await t.api('POST', '/api/v1/requests', { token: asker.token, body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.error.message).toMatch(message);
    }
    const peerInbox = await t.api('GET', '/api/v1/messages', { token: peer.token });
    expect(peerInbox.body.messages).toEqual([]);
  });
});
