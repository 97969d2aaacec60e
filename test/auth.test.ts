/**
 * Identity and auth as the contract states them: missing or wrong token → 401 naming the header;
 * acting as another agent → 403 with nothing stored or changed; the admin may act for anyone;
 * tokens are shown once and stored hashed.
 */
import { describe, expect, it } from 'vitest';
import { hubPerTest, type TestHub } from './helpers/hub.js';
import { countRows, selectRows } from './helpers/store-rows.js';
import { WsClient } from './ws-resume-client.js';

let t: TestHub | undefined;
const sockets: WsClient[] = [];
const hubs = hubPerTest(async () => {
  for (const s of sockets.splice(0)) await s.close();
});

const counts = async (hub: TestHub) => ({
  agents: await countRows(hub, 'agents'),
  messages: await countRows(hub, 'messages'),
  deliveries: await countRows(hub, 'deliveries'),
  topics: await countRows(hub, 'topic_subscriptions'),
  read: await countRows(hub, 'deliveries', 'read_at IS NOT NULL'),
  acked: await countRows(hub, 'deliveries', 'acked_at IS NOT NULL'),
  retired: await countRows(hub, 'agents', 'retired_at IS NOT NULL'),
});

function expect401(res: { status: number; body: any; headers: Headers }) {
  expect(res.status).toBe(401);
  expect(res.body.success).toBe(false);
  expect(res.body.error.code).toBe('unauthorized');
  // The message says which header is expected.
  expect(res.body.error.message).toMatch(/Authorization/);
  expect(res.body.error.message).toMatch(/Bearer/);
  expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
}

function expect403(res: { status: number; body: any }) {
  expect(res.status).toBe(403);
  expect(res.body.success).toBe(false);
  expect(res.body.error.code).toBe('forbidden');
  expect(typeof res.body.error.message).toBe('string');
  expect(res.body.error.message.length).toBeGreaterThan(10);
}

describe('auth', () => {
  it('answers 401 naming the Authorization header when the token is missing, wrong or malformed', async () => {
    t = await hubs.start({ rateLimit: { enabled: false } });
    const a = await t.register('Alpha');
    const b = await t.register('Bee');
    const agentCalls: Array<[string, string, unknown?]> = [
      ['POST', '/api/v1/messages', { to: b.id, body: 'x' }],
      ['GET', '/api/v1/messages'],
      ['GET', `/api/v1/messages?agent_id=${a.id}`],
      ['POST', '/api/v1/messages/ack', { message_ids: ['msg_x'] }],
      ['POST', `/api/v1/agents/${a.id}/heartbeat`, { status: 'busy' }],
      ['GET', '/api/v1/agents/me'],
      ['DELETE', `/api/v1/agents/${a.id}`],
      ['POST', '/api/v1/topics/subscribe', { topic: 'x' }],
      ['GET', '/api/v1/threads/t1'],
      ['GET', '/api/v1/messages/search?query=x'],
      ['POST', '/api/v1/ops/send_message', { to: b.id, body: 'x' }],
      ['POST', '/api/v1/ops/check_inbox', {}],
    ];
    const before = await counts(t);
    for (const [method, path, body] of agentCalls) {
      expect401(await t.api(method, path, { body }));
      expect401(await t.api(method, path, { body, token: 'sb_not-a-real-token' }));
      expect401(
        await t.api(method, path, {
          body,
          headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
        }),
      );
      expect401(await t.api(method, path, { body, headers: { authorization: 'Bearer' } }));
      expect401(await t.api(method, path, { body, headers: { authorization: `Bearer ${a.token} extra` } }));
    }
    // A wrong token is a 401 on public routes too, never silently anonymous.
    expect401(await t.api('GET', '/api/v1/agents', { token: 'wrong' }));
    expect401(await t.api('POST', '/api/v1/agents/register', { token: 'wrong', body: { name: 'x' } }));
    expect401(await t.api('GET', '/api/v1/events', { token: 'wrong' }));
    expect(await counts(t)).toEqual(before);
    // The right token in the right header works.
    expect((await t.api('GET', '/api/v1/agents/me', { token: a.token })).body.agent.agent_id).toBe(a.id);
    expect(
      (await t.api('GET', '/api/v1/agents/me', { headers: { authorization: `bearer   ${a.token}` } })).status,
    ).toBe(200);
  });

  it('refuses WebSocket connections without a valid token for that agent', async () => {
    t = await hubs.start();
    const a = await t.register('Alpha');
    const b = await t.register('Bee');
    const cases: Array<[string, Parameters<typeof WsClient.open>[2], string]> = [
      [a.id, {}, 'unauthorized'],
      [a.id, { token: 'sb_wrong' }, 'unauthorized'],
      [a.id, { token: b.token }, 'forbidden'],
      [a.id, { token: b.token, header: true }, 'forbidden'],
      ['no-such-agent', { token: t.adminToken }, 'not_found'],
    ];
    for (const [agent, opts, code] of cases) {
      const ws = WsClient.open(t.url, agent, opts);
      sockets.push(ws);
      const err = await ws.waitFor((f) => f.type === 'error');
      expect(err.error.code).toBe(code);
      expect(err.error.message.length).toBeGreaterThan(10);
      if (code === 'unauthorized') expect(err.error.message).toMatch(/Authorization: Bearer|token=/);
      const closed = await ws.waitClosed();
      if (code !== 'not_found') expect(closed.code).toBe(1008);
      expect(ws.frames.some((f) => f.type === 'ready')).toBe(false);
    }
    // The header and ?token= both work for the right agent.
    sockets.push(await WsClient.connect(t.url, a.id, { token: a.token, header: true }));
    sockets.push(await WsClient.connect(t.url, a.id, { token: a.token }));
  });

  it('refuses (403) acting as another agent over REST and WebSocket, and stores or changes nothing', async () => {
    t = await hubs.start({ rateLimit: { enabled: false } });
    const a = await t.register('Alpha');
    const b = await t.register('Bee');
    const c = await t.register('Cee');
    // Bee has one unread, unacked message from Cee.
    const m = await t.api('POST', '/api/v1/messages', {
      token: c.token,
      body: { to: b.id, body: 'for bee only' },
    });
    expect(m.status).toBe(200);
    const before = await counts(t);

    expect403(
      await t.api('POST', '/api/v1/messages', {
        token: a.token,
        body: { from: b.id, to: c.id, body: 'forged' },
      }),
    );
    expect403(
      await t.api('POST', '/api/v1/ops/send_message', {
        token: a.token,
        body: { from: b.id, to: 'ALL', body: 'forged' },
      }),
    );
    expect403(
      await t.api('POST', '/api/v1/messages', {
        token: a.token,
        body: { from: b.id, to: c.id, body: 'forged', idempotency_key: 'forged-1' },
      }),
    );
    expect403(await t.api('GET', `/api/v1/messages?agent_id=${b.id}`, { token: a.token }));
    expect403(await t.api('GET', `/api/v1/messages?agent_id=${b.id}&since=0`, { token: a.token }));
    expect403(await t.api('POST', '/api/v1/ops/check_inbox', { token: a.token, body: { agent_id: b.id } }));
    expect403(
      await t.api('GET', `/api/v1/messages/wait?agent_id=${b.id}&timeout_seconds=0`, { token: a.token }),
    );
    expect403(
      await t.api('POST', '/api/v1/messages/ack', {
        token: a.token,
        body: { agent_id: b.id, message_ids: [m.body.message_id] },
      }),
    );
    expect403(
      await t.api('POST', '/api/v1/messages/read', {
        token: a.token,
        body: { agent_id: b.id, message_ids: [m.body.message_id] },
      }),
    );
    expect403(
      await t.api('POST', `/api/v1/agents/${b.id}/heartbeat`, { token: a.token, body: { status: 'busy' } }),
    );
    expect403(await t.api('DELETE', `/api/v1/agents/${b.id}`, { token: a.token }));
    expect403(
      await t.api('POST', '/api/v1/topics/subscribe', {
        token: a.token,
        body: { agent_id: b.id, topic: 'x' },
      }),
    );
    expect403(await t.api('GET', `/api/v1/agents/me?agent_id=${b.id}`, { token: a.token }));

    // Over WebSocket: a send or call naming another sender is refused the same way.
    const ws = await WsClient.connect(t.url, a.id, { token: a.token });
    sockets.push(ws);
    await expect(ws.call({ type: 'send', from: b.id, to: c.id, body: 'forged' }, 'f1')).rejects.toMatchObject(
      {
        frame: { error: { code: 'forbidden' } },
      },
    );
    await expect(
      ws.call({ type: 'call', op: 'check_inbox', input: { agent_id: b.id } }, 'f2'),
    ).rejects.toMatchObject({ frame: { error: { code: 'forbidden' } } });
    await expect(
      ws.call({ type: 'ack', agent_id: b.id, message_ids: [m.body.message_id] }, 'f3'),
    ).rejects.toMatchObject({ frame: { error: { code: 'forbidden' } } });

    // Nothing stored, nothing read, acked, retired or subscribed.
    expect(await counts(t)).toEqual(before);
    expect(await countRows(t, 'messages', "idempotency_key = 'forged-1'")).toBe(0);
    const bInbox = await t.api('GET', '/api/v1/messages', { token: b.token });
    expect(bInbox.body.messages.map((x: any) => x.body)).toEqual(['for bee only']);
    expect(bInbox.body.messages[0].acked_at).toBeNull();
    expect((await t.api('GET', `/api/v1/agents/${b.id}`)).body.agent.status).toBe('active');

    // Another agent's message or thread is invisible (404, not its content).
    const outsider = await t.api('GET', `/api/v1/messages/${m.body.message_id}`, { token: a.token });
    expect(outsider.status).toBe(404);
    expect(JSON.stringify(outsider.body)).not.toContain('for bee only');
    expect((await t.api('GET', `/api/v1/threads/${m.body.thread_id}`, { token: a.token })).status).toBe(404);
    expect((await t.api('GET', `/api/v1/messages/${m.body.message_id}`, { token: b.token })).status).toBe(
      200,
    );
  });

  it('lets the admin act on behalf of any agent, naming it', async () => {
    t = await hubs.start();
    const a = await t.register('Alpha');
    const b = await t.register('Bee');
    const noAgent = await t.api('POST', '/api/v1/messages', {
      token: t.adminToken,
      body: { to: a.id, body: 'who am i' },
    });
    expect(noAgent.status).toBe(400);
    expect(noAgent.body.error.code).toBe('invalid_input');
    expect(noAgent.body.error.message).toMatch(/from/);
    const sent = await t.api('POST', '/api/v1/messages', {
      token: t.adminToken,
      body: { from: b.id, to: a.id, body: 'via admin' },
    });
    expect(sent.status).toBe(200);
    const inbox = await t.api('GET', `/api/v1/messages?agent_id=${a.id}`, { token: t.adminToken });
    expect(inbox.status).toBe(200);
    expect(inbox.body.messages).toHaveLength(1);
    expect(inbox.body.messages[0]).toMatchObject({ from: b.id, body: 'via admin' });
    const hb = await t.api('POST', `/api/v1/agents/${b.id}/heartbeat`, {
      token: t.adminToken,
      body: { status: 'busy' },
    });
    expect(hb.body.agent.status).toBe('busy');
    const retired = await t.api('DELETE', `/api/v1/agents/${b.id}`, { token: t.adminToken });
    expect(retired.status).toBe(200);
    expect(retired.body.agent.status).toBe('retired');
  });

  it('shows a token once and stores only its hash', async () => {
    t = await hubs.start();
    const reg = await t.api('POST', '/api/v1/agents/register', {
      body: { agent_id: 'keeper', name: 'Keeper' },
    });
    const token = reg.body.token as string;
    expect(token.length).toBeGreaterThanOrEqual(32);
    const rows = await selectRows(t, 'agents', "id = 'keeper'");
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(token);
    for (const path of ['/api/v1/agents', '/api/v1/agents/keeper', '/api/v1/agents/me']) {
      const res = await t.api('GET', path, { token });
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.body)).not.toContain(token);
    }
  });
});
