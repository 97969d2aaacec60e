/**
 * The REST contract as a client walks through it: register and discover agents, presence, every kind
 * of address, inbox cursors and paging, acks (with the sender's WebSocket told), threads, search,
 * live push, retirement and re-registration. Each step checks what the contract promises.
 */
import { describe, expect, it } from 'vitest';
import { hubPerTest, type TestHub } from './helpers/hub.js';
import { WsClient } from './ws-resume-client.js';

let t: TestHub | undefined;
const sockets: WsClient[] = [];
const hubs = hubPerTest(async () => {
  for (const s of sockets.splice(0)) await s.close();
});

const ids = (list: Array<{ agent_id: string }>) => list.map((a) => a.agent_id).sort();

async function connect(hub: TestHub, agentId: string, token: string, since?: string) {
  const ws = await WsClient.connect(hub.url, agentId, { token, since });
  sockets.push(ws);
  return ws;
}

describe('REST contract flow', () => {
  it('registers agents, lists peers, and filters by capability, status and project', async () => {
    t = await hubs.start();
    const first = await t.api('POST', '/api/v1/agents/register', {
      body: {
        name: 'Alpha',
        capabilities: ['review', 'ts'],
        role: 'reviewer',
        description: 'reads code',
        metadata: { v: 1 },
      },
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ success: true, peers: [] });
    const a = { id: first.body.agent_id as string, token: first.body.token as string };
    expect(a.id).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]*$/);
    expect(typeof a.token).toBe('string');
    expect(first.body.websocket_url).toBe(`/ws/${a.id}`);

    const second = await t.api('POST', '/api/v1/agents/register', {
      body: { agent_id: 'bee', session_id: 'sess-1', name: 'Bee', capabilities: ['ts'] },
    });
    expect(second.status).toBe(200);
    expect(second.body.agent_id).toBe('bee');
    expect(second.body.websocket_url).toBe('/ws/bee');
    expect(second.body.peers).toEqual([{ agent_id: a.id, name: 'Alpha', status: 'active' }]);
    const b = { id: 'bee', token: second.body.token as string };

    const other = await t.register('Other', { project: 'other', capabilities: ['ts'] });
    const otherReg = await t.api('POST', '/api/v1/agents/register', {
      body: { name: 'Other2', project: 'other' },
    });
    // Peers are the agents of the same project only.
    expect(ids(otherReg.body.peers)).toEqual([other.id]);

    const all = await t.api('GET', '/api/v1/agents');
    expect(all.status).toBe(200);
    expect(all.body.total).toBe(all.body.agents.length);
    expect(ids(all.body.agents)).toEqual([a.id, 'bee', other.id, otherReg.body.agent_id].sort());
    const alpha = all.body.agents.find((x: any) => x.agent_id === a.id);
    expect(alpha).toMatchObject({
      name: 'Alpha',
      status: 'active',
      capabilities: ['review', 'ts'],
      role: 'reviewer',
      session_id: null,
    });
    expect(Number.isNaN(Date.parse(alpha.last_heartbeat))).toBe(false);
    expect(all.body.agents.find((x: any) => x.agent_id === 'bee').session_id).toBe('sess-1');
    // Tokens never leave the hub again.
    expect(JSON.stringify(all.body)).not.toContain(a.token);

    expect(ids((await t.api('GET', '/api/v1/agents?capability=ts')).body.agents)).toEqual(
      [a.id, 'bee', other.id].sort(),
    );
    expect(ids((await t.api('GET', '/api/v1/agents?capability=review')).body.agents)).toEqual([a.id]);
    expect(ids((await t.api('GET', '/api/v1/agents?capability=ts&project=other')).body.agents)).toEqual([
      other.id,
    ]);
    expect((await t.api('GET', '/api/v1/agents?capability=nobody')).body).toEqual({ agents: [], total: 0 });

    // Heartbeat with a status: the agent shows it and the status filter finds it.
    const hb = await t.api('POST', `/api/v1/agents/${b.id}/heartbeat`, {
      token: b.token,
      body: { status: 'busy' },
    });
    expect(hb.status).toBe(200);
    expect(hb.body).toMatchObject({ success: true, agent: { agent_id: 'bee', status: 'busy' } });
    expect(ids((await t.api('GET', '/api/v1/agents?status=busy')).body.agents)).toEqual(['bee']);
    const idle = await t.api('POST', `/api/v1/agents/${a.id}/heartbeat`, {
      token: a.token,
      body: { status: 'idle' },
    });
    expect(idle.body.agent.status).toBe('idle');
    expect(ids((await t.api('GET', '/api/v1/agents?status=idle')).body.agents)).toEqual([a.id]);
    // A heartbeat without a body keeps the declared status.
    const plain = await t.api('POST', `/api/v1/agents/${b.id}/heartbeat`, { token: b.token });
    expect(plain.status).toBe(200);
    expect(plain.body.agent.status).toBe('busy');
    // Only active, busy and idle may be declared.
    const bad = await t.api('POST', `/api/v1/agents/${b.id}/heartbeat`, {
      token: b.token,
      body: { status: 'retired' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_input');

    const one = await t.api('GET', '/api/v1/agents/bee');
    expect(one.status).toBe(200);
    expect(one.body.agent).toMatchObject({
      agent_id: 'bee',
      name: 'Bee',
      status: 'busy',
      capabilities: ['ts'],
    });
    const missing = await t.api('GET', '/api/v1/agents/no-such-agent');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ success: false, error: { code: 'not_found' } });
    expect(missing.body.error.message).toContain('no-such-agent');
  });

  it('sends, pushes over WebSocket, reads the inbox by cursor, acks (sender told), threads and searches', async () => {
    t = await hubs.start();
    const a = await t.register('Alpha');
    const b = await t.register('Bee');
    const wsA = await connect(t, a.id, a.token);
    const wsB = await connect(t, b.id, b.token);

    const sent = await t.api('POST', '/api/v1/messages', {
      token: b.token,
      body: {
        from: b.id,
        to: a.id,
        message: 'hello alpha',
        subject: 'greeting',
        type: 'request',
        ack_required: true,
      },
    });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ success: true, recipients: [a.id], duplicate: false });
    const m1 = sent.body.message_id as string;
    // A new message starts its own thread.
    expect(sent.body.thread_id).toBe(m1);

    // Live push to the recipient, with its cursor.
    const pushed = await wsA.waitFor((f) => f.type === 'message' && f.message.message_id === m1);
    expect(pushed.cursor).toMatch(/^\d+$/);
    expect(pushed.message).toMatchObject({
      from: b.id,
      to: a.id,
      type: 'request',
      subject: 'greeting',
      body: 'hello alpha',
      ack_required: true,
      importance: 'normal',
    });
    expect(pushed.message.cursor).toBe(pushed.cursor);

    // Unread inbox: the message, with the same cursor; next_cursor points after it.
    const inbox = await t.api('GET', `/api/v1/messages?agent_id=${a.id}`, { token: a.token });
    expect(inbox.status).toBe(200);
    expect(inbox.body.messages.map((m: any) => m.message_id)).toEqual([m1]);
    expect(inbox.body.messages[0].cursor).toBe(pushed.cursor);
    expect(inbox.body.next_cursor).toBe(pushed.cursor);
    expect(inbox.body.has_more).toBe(false);
    // Read now: the unread inbox is empty, but the cursor view still has it.
    const again = await t.api('GET', '/api/v1/messages', { token: a.token });
    expect(again.body.messages).toEqual([]);
    expect(again.body.next_cursor).toBe(pushed.cursor);
    const fromStart = await t.api('GET', '/api/v1/messages?since=0', { token: a.token });
    expect(fromStart.body.messages.map((m: any) => m.message_id)).toEqual([m1]);
    expect(fromStart.body.messages[0].read_at).not.toBeNull();
    const afterIt = await t.api('GET', `/api/v1/messages?since=${inbox.body.next_cursor}`, {
      token: a.token,
    });
    expect(afterIt.body.messages).toEqual([]);
    expect(afterIt.body.next_cursor).toBe(pushed.cursor);

    // Ack: the sender's WebSocket gets an ack frame.
    const ackFrom = wsB.frames.length;
    const ack = await t.api('POST', '/api/v1/messages/ack', {
      token: a.token,
      body: { message_ids: [m1, 'msg_unknown'] },
    });
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ success: true, acked: [m1], unknown: ['msg_unknown'] });
    const ackFrame = await wsB.waitFor(
      (f) => f.type === 'ack' && f.message_id === m1,
      15_000,
      'ack frame',
      ackFrom,
    );
    expect(ackFrame.by).toBe(a.id);
    const acked = await t.api('GET', '/api/v1/messages?since=0', { token: a.token });
    expect(acked.body.messages[0].acked_at).not.toBeNull();

    // A reply joins the thread; correlation id and importance travel with it.
    const reply = await t.api('POST', '/api/v1/messages', {
      token: a.token,
      body: {
        to: b.id,
        body: { answer: 42 },
        type: 'response',
        reply_to: m1,
        correlation_id: 'corr-7',
        importance: 'urgent',
      },
    });
    expect(reply.status).toBe(200);
    expect(reply.body.thread_id).toBe(m1);
    const m2 = reply.body.message_id as string;
    const pushedReply = await wsB.waitFor((f) => f.type === 'message' && f.message.message_id === m2);
    expect(pushedReply.message).toMatchObject({
      reply_to: m1,
      thread_id: m1,
      correlation_id: 'corr-7',
      importance: 'urgent',
      body: { answer: 42 },
      type: 'response',
    });
    const third = await t.api('POST', '/api/v1/messages', {
      token: b.token,
      body: { to: a.id, body: 'thanks', reply_to: m2 },
    });
    expect(third.body.thread_id).toBe(m1);
    const thread = await t.api('GET', `/api/v1/threads/${m1}`, { token: b.token });
    expect(thread.status).toBe(200);
    expect(thread.body.thread_id).toBe(m1);
    expect(thread.body.messages.map((m: any) => m.message_id)).toEqual([m1, m2, third.body.message_id]);
    const noThread = await t.api('GET', '/api/v1/threads/nothing-here', { token: b.token });
    expect(noThread.status).toBe(404);
    const badReply = await t.api('POST', '/api/v1/messages', {
      token: b.token,
      body: { to: a.id, body: 'x', reply_to: 'msg_nope' },
    });
    expect(badReply.status).toBe(404);

    // Search: subject and body words, only for participants.
    await t.api('POST', '/api/v1/messages', {
      token: b.token,
      body: { to: a.id, subject: 'quarterly zebra report', body: 'numbers inside' },
    });
    const outsider = await t.register('Outsider');
    const found = await t.api('GET', '/api/v1/messages/search?query=zebra', { token: a.token });
    expect(found.status).toBe(200);
    expect(found.body.messages.map((m: any) => m.subject)).toEqual(['quarterly zebra report']);
    expect(found.body.total).toBe(1);
    const byBody = await t.api('GET', `/api/v1/messages/search?query=${encodeURIComponent('numbers')}`, {
      token: b.token,
    });
    expect(byBody.body.total).toBe(1);
    const hidden = await t.api('GET', '/api/v1/messages/search?query=zebra', { token: outsider.token });
    expect(hidden.body).toMatchObject({ messages: [], total: 0 });
    const quoteSyntax = await t.api(
      'GET',
      `/api/v1/messages/search?query=${encodeURIComponent('"zebra* OR NEAR(')}`,
      { token: a.token },
    );
    expect(quoteSyntax.status).toBe(200);
  });

  it('speaks the WebSocket client frames: ping, heartbeat, send, ack (sender told), call', async () => {
    t = await hubs.start();
    const a = await t.register('Alpha');
    const b = await t.register('Bee');
    const wsA = await connect(t, a.id, a.token);
    const wsB = await connect(t, b.id, b.token);
    wsA.send({ type: 'ping', id: 'p' });
    expect(await wsA.waitFor((f) => f.type === 'pong')).toMatchObject({ id: 'p' });
    const hb = await wsA.call({ type: 'heartbeat', status: 'busy' }, 'h');
    expect(hb.agent.status).toBe('busy');
    const sent = await wsB.call({ type: 'send', to: a.id, body: 'over the socket', ack_required: true }, 's');
    expect(sent).toMatchObject({ success: true, recipients: [a.id], duplicate: false });
    const pushed = await wsA.waitFor((f) => f.type === 'message' && f.message.message_id === sent.message_id);
    expect(pushed.message).toMatchObject({ from: b.id, body: 'over the socket', ack_required: true });
    const ackFrom = wsB.frames.length;
    const acked = await wsA.call({ type: 'ack', message_ids: [sent.message_id] }, 'a');
    expect(acked.acked).toEqual([sent.message_id]);
    const ackFrame = await wsB.waitFor((f) => f.type === 'ack', 15_000, 'ack frame', ackFrom);
    expect(ackFrame).toMatchObject({ message_id: sent.message_id, by: a.id });
    // Acking again changes nothing and tells nobody again.
    await wsA.call({ type: 'ack', message_ids: [sent.message_id] }, 'a2');
    await wsB.call({ type: 'call', op: 'whoami', input: {} }, 'sync');
    expect(wsB.frames.filter((f) => f.type === 'ack')).toHaveLength(1);
    const listed = await wsA.call({ type: 'call', op: 'list_agents', input: { status: 'busy' } }, 'c');
    expect(listed.agents.map((x: any) => x.agent_id)).toEqual([a.id]);
    const inbox = await t.api('GET', '/api/v1/messages?since=0', { token: a.token });
    expect(inbox.body.messages[0].acked_at).not.toBeNull();
  });

  it('pages the inbox with limit, has_more and next_cursor: oldest first, nothing missed or repeated', async () => {
    t = await hubs.start();
    const a = await t.register('Alpha');
    const b = await t.register('Bee');
    const start = (await t.api('GET', '/api/v1/messages', { token: a.token })).body.next_cursor;
    const sent: string[] = [];
    for (let i = 0; i < 7; i++) {
      const r = await t.api('POST', '/api/v1/messages', {
        token: b.token,
        body: { to: a.id, body: `n${i}` },
      });
      sent.push(r.body.message_id);
    }
    const seen: string[] = [];
    const cursors: number[] = [];
    let since = start;
    let pages = 0;
    for (;;) {
      // mark_read=false: paging by cursor here leaves the unread view below intact.
      const page = await t.api('GET', `/api/v1/messages?since=${since}&limit=3&mark_read=false`, {
        token: a.token,
      });
      expect(page.status).toBe(200);
      expect(page.body.messages.length).toBeLessThanOrEqual(3);
      pages++;
      for (const m of page.body.messages) {
        seen.push(m.message_id);
        cursors.push(Number(m.cursor));
      }
      if (page.body.messages.length) expect(page.body.next_cursor).toBe(page.body.messages.at(-1).cursor);
      since = page.body.next_cursor;
      if (!page.body.has_more) break;
      expect(pages).toBeLessThan(10);
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(sent);
    expect([...cursors].sort((x, y) => x - y)).toEqual(cursors);
    // The unread view pages too, and marks what it returns as read.
    const unread1 = await t.api('GET', '/api/v1/messages?limit=4', { token: a.token });
    expect(unread1.body.messages.length).toBe(4);
    expect(unread1.body.has_more).toBe(true);
    const unread2 = await t.api('GET', '/api/v1/messages?limit=4', { token: a.token });
    expect(unread2.body.messages.length).toBe(3);
    expect(unread2.body.has_more).toBe(false);
    expect([...unread1.body.messages, ...unread2.body.messages].map((m: any) => m.message_id)).toEqual(sent);
    expect((await t.api('GET', '/api/v1/messages', { token: a.token })).body.messages).toEqual([]);
    // An ISO time works as since too.
    const byTime = await t.api(
      'GET',
      `/api/v1/messages?since=${encodeURIComponent('2000-01-01T00:00:00Z')}&limit=500`,
      {
        token: a.token,
      },
    );
    expect(byTime.body.messages.map((m: any) => m.message_id)).toEqual(sent);
  });

  it('addresses lists, ALL, capability: and topic: subscribers; a retired agent leaves broadcasts', async () => {
    t = await hubs.start();
    const a = await t.register('Alpha', { capabilities: ['docs'] });
    const b = await t.register('Bee', { capabilities: ['docs', 'ts'] });
    const c = await t.register('Cee');
    const d = await t.register('Dee', { capabilities: ['ts'] });
    const elsewhere = await t.register('Far', { project: 'far', capabilities: ['docs'] });
    const send = (token: string, body: Record<string, unknown>) =>
      t!.api('POST', '/api/v1/messages', { token, body });

    const list = await send(a.token, { to: [b.id, c.id], body: 'two of you' });
    expect(list.status).toBe(200);
    expect([...list.body.recipients].sort()).toEqual([b.id, c.id].sort());

    const all = await send(a.token, { to: 'ALL', body: 'everyone', type: 'broadcast' });
    expect([...all.body.recipients].sort()).toEqual([b.id, c.id, d.id].sort());

    const cap = await send(a.token, { to: 'capability:ts', body: 'ts people' });
    expect([...cap.body.recipients].sort()).toEqual([b.id, d.id].sort());
    // The sender is never its own recipient, and other projects are out of reach.
    const capDocs = await send(a.token, { to: 'capability:docs', body: 'docs people' });
    expect(capDocs.body.recipients).toEqual([b.id]);

    const sub = await t.api('POST', '/api/v1/topics/subscribe', {
      token: c.token,
      body: { topic: 'builds' },
    });
    expect(sub.status).toBe(200);
    expect(sub.body).toMatchObject({ topic: 'builds', subscribed: true, topics: ['builds'] });
    await t.api('POST', '/api/v1/topics/subscribe', { token: d.token, body: { topic: 'builds' } });
    await t.api('POST', '/api/v1/topics/subscribe', {
      token: elsewhere.token,
      body: { topic: 'other-topic' },
    });
    const topic = await send(a.token, { to: 'topic:builds', body: 'build green' });
    expect([...topic.body.recipients].sort()).toEqual([c.id, d.id].sort());
    const nobody = await send(a.token, { to: 'topic:quiet', body: 'anyone?' });
    expect(nobody.status).toBe(200);
    expect(nobody.body.recipients).toEqual([]);

    // Each recipient's inbox has exactly what was addressed to it.
    const inboxOf = async (token: string) =>
      (await t!.api('GET', '/api/v1/messages?since=0', { token })).body.messages.map((m: any) => m.body);
    expect(await inboxOf(b.token)).toEqual(['two of you', 'everyone', 'ts people', 'docs people']);
    expect(await inboxOf(c.token)).toEqual(['two of you', 'everyone', 'build green']);
    expect(await inboxOf(d.token)).toEqual(['everyone', 'ts people', 'build green']);
    expect(await inboxOf(a.token)).toEqual([]);
    expect(await inboxOf(elsewhere.token)).toEqual([]);

    // Retire Dee: out of ALL, capability and topic sends, and out of the default listing.
    const retire = await t.api('DELETE', `/api/v1/agents/${d.id}`, { token: d.token });
    expect(retire.status).toBe(200);
    expect(retire.body).toMatchObject({ success: true, agent: { agent_id: d.id, status: 'retired' } });
    const all2 = await send(a.token, { to: 'ALL', body: 'after retire' });
    expect([...all2.body.recipients].sort()).toEqual([b.id, c.id].sort());
    expect((await send(a.token, { to: 'capability:ts', body: 'ts again' })).body.recipients).toEqual([b.id]);
    expect((await send(a.token, { to: 'topic:builds', body: 'topic again' })).body.recipients).toEqual([
      c.id,
    ]);
    const direct = await send(a.token, { to: d.id, body: 'are you there' });
    expect(direct.status).toBe(404);
    expect(direct.body.error.code).toBe('not_found');
    expect(ids((await t.api('GET', '/api/v1/agents')).body.agents)).not.toContain(d.id);
    expect(ids((await t.api('GET', '/api/v1/agents?status=retired')).body.agents)).toEqual([d.id]);
    // A retired agent cannot act until it registers again.
    const retiredSend = await send(d.token, { to: a.id, body: 'ghost' });
    expect(retiredSend.status).toBe(403);
    const back = await t.api('POST', '/api/v1/agents/register', {
      token: d.token,
      body: { agent_id: d.id, name: 'Dee' },
    });
    expect(back.status).toBe(200);
    expect(back.body.agent.status).not.toBe('retired');
    expect([...(await send(a.token, { to: 'ALL', body: 'welcome back' })).body.recipients].sort()).toEqual(
      [b.id, c.id, d.id].sort(),
    );
  });

  it('re-registering an existing agent_id needs its token: 409 without, 200 with, token kept unless rotated', async () => {
    t = await hubs.start();
    const reg = await t.api('POST', '/api/v1/agents/register', {
      body: { agent_id: 'fixed', name: 'Fixed', capabilities: ['a'] },
    });
    expect(reg.status).toBe(200);
    expect(reg.body.created).toBe(true);
    const token = reg.body.token as string;
    const other = await t.register('Other');

    const stolen = await t.api('POST', '/api/v1/agents/register', {
      body: { agent_id: 'fixed', name: 'Impostor' },
    });
    expect(stolen.status).toBe(409);
    expect(stolen.body).toMatchObject({ success: false, error: { code: 'conflict' } });
    expect(stolen.body.error.message).toMatch(/Authorization: Bearer/);
    const withOtherToken = await t.api('POST', '/api/v1/agents/register', {
      token: other.token,
      body: { agent_id: 'fixed', name: 'Impostor' },
    });
    expect(withOtherToken.status).toBe(409);
    expect((await t.api('GET', '/api/v1/agents/fixed')).body.agent.name).toBe('Fixed');

    const update = await t.api('POST', '/api/v1/agents/register', {
      token,
      body: { agent_id: 'fixed', name: 'Fixed v2', capabilities: ['b'] },
    });
    expect(update.status).toBe(200);
    expect(update.body).toMatchObject({ success: true, agent_id: 'fixed', created: false });
    expect(update.body.token).toBeUndefined();
    expect(update.body.agent).toMatchObject({ name: 'Fixed v2', capabilities: ['b'] });
    // The old token still works: nothing was rotated.
    expect((await t.api('GET', '/api/v1/agents/me', { token })).status).toBe(200);

    const admin = await t.api('POST', '/api/v1/agents/register', {
      token: t.adminToken,
      body: { agent_id: 'fixed', name: 'Fixed by admin' },
    });
    expect(admin.status).toBe(200);

    const rotated = await t.api('POST', '/api/v1/agents/register', {
      token,
      body: { agent_id: 'fixed', name: 'Fixed v3', rotate_token: true },
    });
    expect(rotated.status).toBe(200);
    expect(typeof rotated.body.token).toBe('string');
    expect(rotated.body.token).not.toBe(token);
    expect((await t.api('GET', '/api/v1/agents/me', { token })).status).toBe(401);
    expect((await t.api('GET', '/api/v1/agents/me', { token: rotated.body.token })).body.agent.agent_id).toBe(
      'fixed',
    );
  });
});
