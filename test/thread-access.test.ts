/**
 * Knowing a thread's or a message's id grants nothing. A sender names only threads it takes part in
 * (sent or received a message in) and replies only to messages it sent or received; anything else
 * answers `not_found` (the same answer as for an id that does not exist), stores nothing and so opens
 * neither the thread nor its conversation context — on every surface (REST, WebSocket, MCP, request).
 * Every other input that takes a thread or message id (get_thread, get_message, conversation context,
 * watch_context, ack_message, mark_read) leaks nothing and grants nothing either.
 */
import type { Client } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { newId } from '../src/core/ids.js';
import type { PostgresStore } from '../src/store/postgres/index.js';
import type { NewMessage } from '../src/store/types.js';
import { hubPerTest, type TestHub } from './helpers/hub.js';
import { seedPgMessages } from './helpers/pg-seed.js';
import { storedMessages } from './helpers/store-rows.js';
import { connect2026, textOf } from './mcp-clients.js';
import { WsClient } from './ws-resume-client.js';

let t: TestHub | undefined;
const sockets: WsClient[] = [];
const clients: Client[] = [];
const hubs = hubPerTest(async () => {
  for (const s of sockets.splice(0)) await s.close();
  for (const c of clients.splice(0)) await c.close();
});

type Agent = { id: string; token: string };

const send = (agent: Agent, body: Record<string, unknown>) =>
  t!.api('POST', '/api/v1/messages', { token: agent.token, body });
const conversationNotes = (agent: Agent, thread: string) =>
  t!.api('GET', `/api/v1/context/conversation/notes?scope_id=${encodeURIComponent(thread)}`, {
    token: agent.token,
  });

/** The error message with the id in it replaced, to compare answers for different ids. */
const shape = (message: string, id: string) => message.split(id).join('<id>');

describe('joining a thread by naming it', () => {
  it('refuses a foreign thread_id or reply_to with not_found, stores nothing, and opens nothing', async () => {
    t = await hubs.start({ rateLimit: { enabled: false } });
    const a = await t.register('Alice');
    const b = await t.register('Bob');
    const outsider = await t.register('Mallory');
    const far = await t.register('Faraway', { project: 'far' });

    const first = await send(a, { to: b.id, subject: 'plan', body: 'our private plan' });
    expect(first.status).toBe(200);
    const thread = first.body.thread_id as string;
    const m1 = first.body.message_id as string;
    const set = await t.api('PUT', '/api/v1/context/conversation/notes', {
      token: a.token,
      body: { scope_id: thread, value: { secret: 'conversation notes' } },
    });
    expect(set.status).toBe(200);

    const before = await storedMessages(t);
    for (const intruder of [outsider, far]) {
      for (const body of [
        { to: b.id, thread_id: thread, body: 'let me in' },
        { to: b.id, reply_to: m1, body: 'let me in' },
        { to: intruder.id, thread_id: thread, body: 'to myself, in your thread' },
        { to: 'ALL', reply_to: m1, body: 'reply-all' },
      ]) {
        const res = await send(intruder, body);
        expect({ status: res.status, code: res.body.error?.code }).toEqual({
          status: 404,
          code: 'not_found',
        });
        expect(res.body.error.message).toMatch(body.thread_id ? /^thread_id: / : /^reply_to: /);
      }
    }
    expect(await storedMessages(t)).toEqual(before);

    // Still outside: the conversation context, the thread and the message all stay closed.
    expect((await conversationNotes(outsider, thread)).status).toBe(403);
    expect((await conversationNotes(far, thread)).status).toBe(403);
    expect((await t.api('GET', `/api/v1/threads/${thread}`, { token: outsider.token })).status).toBe(404);
    expect((await t.api('GET', `/api/v1/messages/${m1}`, { token: outsider.token })).status).toBe(404);
    const search = await t.api('GET', '/api/v1/messages/search?query=private', { token: outsider.token });
    expect(search.body.messages).toEqual([]);

    // The answer does not confirm the thread exists: a made-up id gets the same one.
    const guessed = newId('msg');
    const foreign = await send(outsider, { to: b.id, thread_id: thread, body: 'x' });
    const unknown = await send(outsider, { to: b.id, thread_id: guessed, body: 'x' });
    expect(unknown.status).toBe(404);
    expect(shape(unknown.body.error.message, guessed)).toBe(shape(foreign.body.error.message, thread));
    const foreignReply = await send(outsider, { to: b.id, reply_to: m1, body: 'x' });
    const unknownReply = await send(outsider, { to: b.id, reply_to: guessed, body: 'x' });
    expect(shape(unknownReply.body.error.message, guessed)).toBe(shape(foreignReply.body.error.message, m1));
    // A thread id nobody used yet cannot be claimed ahead of the hub either.
    expect(await storedMessages(t)).toEqual(before);
  });

  it('refuses it on the WebSocket, over MCP and through request, too', async () => {
    t = await hubs.start({ rateLimit: { enabled: false } });
    const a = await t.register('Alice');
    const b = await t.register('Bob');
    const outsider = await t.register('Mallory');
    const first = await send(a, { to: b.id, body: 'hello' });
    const thread = first.body.thread_id as string;
    const before = await storedMessages(t);

    const ws = await WsClient.connect(t.url, outsider.id, { token: outsider.token });
    sockets.push(ws);
    await expect(
      ws.call({ type: 'send', to: b.id, thread_id: thread, body: 'x' }, 's1'),
    ).rejects.toMatchObject({
      frame: { error: { code: 'not_found' } },
    });
    await expect(
      ws.call({ type: 'send', to: b.id, reply_to: first.body.message_id, body: 'x' }, 's2'),
    ).rejects.toMatchObject({ frame: { error: { code: 'not_found' } } });

    const mcp = await connect2026(t.url, { token: outsider.token });
    clients.push(mcp);
    const viaMcp = await mcp.callTool({
      name: 'send_message',
      arguments: { to: b.id, thread_id: thread, body: 'x' },
    });
    expect(viaMcp.isError).toBe(true);
    expect(textOf(viaMcp)).toMatch(/thread_id: no thread/);

    const asked = await t.api('POST', '/api/v1/requests', {
      token: outsider.token,
      body: { to: b.id, thread_id: thread, body: 'answer me here', timeout_seconds: 1 },
    });
    expect({ status: asked.status, code: asked.body.error?.code }).toEqual({
      status: 404,
      code: 'not_found',
    });
    expect(await storedMessages(t)).toEqual(before);
    expect((await conversationNotes(outsider, thread)).status).toBe(403);
  });

  it('lets participants name their thread and reply to what they sent or received; the admin may name any', async () => {
    t = await hubs.start({ rateLimit: { enabled: false } });
    const a = await t.register('Alice');
    const b = await t.register('Bob');
    const c = await t.register('Carol');
    const first = await send(a, { to: b.id, body: 'one' });
    const thread = first.body.thread_id as string;

    // The recipient names the thread; the sender replies to its own message; a reply joins the thread.
    const byName = await send(b, { to: a.id, thread_id: thread, body: 'two' });
    expect(byName.body.thread_id).toBe(thread);
    const ownReply = await send(a, { to: b.id, reply_to: first.body.message_id, body: 'three' });
    expect(ownReply.body.thread_id).toBe(thread);
    const received = await send(b, { to: a.id, reply_to: ownReply.body.message_id, body: 'four' });
    expect(received.body.thread_id).toBe(thread);
    // Bringing Carol in makes her a participant: now she may name it.
    await send(b, { to: [a.id, c.id], thread_id: thread, body: 'welcome, Carol' });
    const carol = await send(c, { to: a.id, thread_id: thread, body: 'thanks' });
    expect(carol.status).toBe(200);
    expect((await conversationNotes(c, thread)).status).toBe(404); // readable scope, no such key yet

    // The admin, acting for an agent, may name any thread (and so brings that agent in).
    const d = await t.register('Dave');
    const byAdmin = await t.api('POST', '/api/v1/messages', {
      token: t.adminToken,
      body: { from: d.id, to: a.id, thread_id: thread, body: 'the admin adds Dave' },
    });
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body.thread_id).toBe(thread);
    // ...but not one that does not exist: thread ids are the hub's.
    const made = await t.api('POST', '/api/v1/messages', {
      token: t.adminToken,
      body: { from: d.id, to: a.id, thread_id: 'made-up-thread', body: 'x' },
    });
    expect(made.status).toBe(404);
  });

  it('leaks and grants nothing through the other inputs that take a message or thread id', async () => {
    t = await hubs.start({ rateLimit: { enabled: false } });
    const a = await t.register('Alice');
    const b = await t.register('Bob');
    const outsider = await t.register('Mallory');
    const first = await send(a, { to: b.id, body: 'read me later', ack_required: true });
    const m1 = first.body.message_id as string;
    const thread = first.body.thread_id as string;

    const ack = await t.api('POST', '/api/v1/messages/ack', {
      token: outsider.token,
      body: { message_ids: [m1] },
    });
    expect(ack.body).toMatchObject({ acked: [], unknown: [m1] });
    const read = await t.api('POST', '/api/v1/messages/read', {
      token: outsider.token,
      body: { message_ids: [m1] },
    });
    expect(read.body.marked).toBe(0);
    // Bob's delivery is untouched.
    const status = await t.api('GET', `/api/v1/messages/${m1}`, { token: a.token });
    expect(status.body.deliveries).toEqual([
      expect.objectContaining({ agent_id: b.id, read_at: null, acked_at: null }),
    ]);
    for (const path of [
      `/api/v1/messages/${m1}`,
      `/api/v1/threads/${thread}`,
      `/api/v1/context/conversation/notes/watch?scope_id=${thread}&timeout_seconds=0`,
    ]) {
      const res = await t.api('GET', path, { token: outsider.token });
      expect([403, 404]).toContain(res.status);
      expect(JSON.stringify(res.body)).not.toContain('read me later');
    }
    const respond = await t.api('POST', `/api/v1/requests/${m1}/respond`, {
      token: outsider.token,
      body: { body: 'not yours to answer' },
    });
    expect(respond.status).toBe(404);
  });
});

describe('thread participation is looked up, not scanned', () => {
  it('opens the conversation context to a participant whose messages come after thousands it did not see', async () => {
    t = await hubs.start({ rateLimit: { enabled: false } });
    const a = await t.register('Alice');
    const b = await t.register('Bob');
    const c = await t.register('Carol');
    const first = await send(a, { to: b.id, body: 'start' });
    const thread = first.body.thread_id as string;
    // A busy thread: 5,200 messages between Alice and Bob (stored through the hub's own store; on
    // PostgreSQL in one transaction, as a send at a time would take minutes — the same rows).
    const now = new Date().toISOString();
    const busy = Array.from({ length: 5200 }, (_, i): NewMessage => ({
      id: newId('msg'),
      from: a.id,
      to: b.id,
      type: 'message',
      subject: null,
      body: `busy ${i}`,
      threadId: thread,
      replyTo: null,
      correlationId: null,
      importance: 'normal',
      ackRequired: false,
      project: 'default',
      createdAt: now,
      expiresAt: null,
      idempotencyKey: null,
      recipients: [b.id],
    }));
    const store = t.hub.store;
    if (store.kind === 'postgres') await seedPgMessages(store as PostgresStore, busy);
    else await Promise.all(busy.map((m) => store.insertMessage(m)));
    const late = await send(a, { to: [b.id, c.id], thread_id: thread, body: 'Carol, have a look' });
    expect(late.status).toBe(200);
    const notes = await t.api('PUT', '/api/v1/context/conversation/notes', {
      token: c.token,
      body: { scope_id: thread, value: 'Carol was here' },
    });
    expect(notes.status).toBe(200);
    const reply = await send(c, { to: a.id, thread_id: thread, body: 'looked' });
    expect(reply.status).toBe(200);
  });
});
