/**
 * The message rules of the contract: ttl (expired messages are not delivered), idempotency keys
 * (a resend returns the first result and stores nothing new, also under concurrency), field rules,
 * refused sends store nothing, and each recipient sees each message once in inbox order.
 */
import { describe, expect, it } from 'vitest';
import { hubPerTest, type TestHub } from './helpers/hub.js';
import { countRows, storedMessages } from './helpers/store-rows.js';
import { WsClient } from './ws-resume-client.js';

let t: TestHub | undefined;
const sockets: WsClient[] = [];
const hubs = hubPerTest(async () => {
  for (const s of sockets.splice(0)) await s.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('messaging rules', () => {
  it('does not deliver a message whose ttl has passed: not in the inbox, not replayed, not returned by a wait', async () => {
    t = await hubs.start();
    const sender = await t.register('Sender');
    const r = await t.register('Recipient');
    const live = await WsClient.connect(t.url, r.id, { token: r.token });
    sockets.push(live);
    const start = (await t.api('GET', '/api/v1/messages', { token: r.token, headers: {} })).body.next_cursor;

    const short = await t.api('POST', '/api/v1/messages', {
      token: sender.token,
      body: { to: r.id, body: 'soon gone', ttl_seconds: 1 },
    });
    expect(short.status).toBe(200);
    expect(short.body.expires_at).not.toBeNull();
    expect(Date.parse(short.body.expires_at)).toBeGreaterThan(Date.parse(short.body.created_at));
    const lasting = await t.api('POST', '/api/v1/messages', {
      token: sender.token,
      body: { to: r.id, body: 'stays', ttl_seconds: 3600 },
    });
    const forever = await t.api('POST', '/api/v1/messages', {
      token: sender.token,
      body: { to: r.id, body: 'no ttl' },
    });
    expect(forever.body.expires_at).toBeNull();
    // While it lives, a connected recipient may get it pushed.
    await live.waitFor((f) => f.type === 'message' && f.message.message_id === forever.body.message_id);

    // Wait it out (by the hub's own expires_at), with margin; no timing is asserted.
    while (Date.now() <= Date.parse(short.body.expires_at) + 50) await sleep(100);

    const unread = await t.api('GET', '/api/v1/messages?mark_read=false', { token: r.token });
    expect(unread.body.messages.map((m: any) => m.body)).toEqual(['stays', 'no ttl']);
    const bySince = await t.api('GET', `/api/v1/messages?since=${start}`, { token: r.token });
    expect(bySince.body.messages.map((m: any) => m.body)).toEqual(['stays', 'no ttl']);
    expect(bySince.body.messages.map((m: any) => m.message_id)).toEqual([
      lasting.body.message_id,
      forever.body.message_id,
    ]);
    const waited = await t.api('GET', `/api/v1/messages/wait?since=${start}&timeout_seconds=0`, {
      token: r.token,
    });
    expect(waited.body.messages.map((m: any) => m.body)).toEqual(['stays', 'no ttl']);
    const replay = await WsClient.connect(t.url, r.id, { token: r.token, since: start });
    sockets.push(replay);
    expect(replay.messages().map((f) => f.message.body)).toEqual(['stays', 'no ttl']);
  });

  it('returns the first result for a resent idempotency key and stores nothing new (REST, WebSocket, concurrent)', async () => {
    t = await hubs.start({ rateLimit: { enabled: false } });
    const s = await t.register('Sender');
    const r = await t.register('Recipient');
    const other = await t.register('Other');

    const first = await t.api('POST', '/api/v1/messages', {
      token: s.token,
      body: { to: r.id, body: 'once', idempotency_key: 'k-1' },
    });
    expect(first.status).toBe(200);
    expect(first.body.duplicate).toBe(false);
    const before = await storedMessages(t);
    // Same key, even with a different body or address: the first send's result, nothing stored.
    for (const body of [
      { to: r.id, body: 'once', idempotency_key: 'k-1' },
      { to: r.id, body: 'different', idempotency_key: 'k-1' },
      { to: 'ALL', body: 'different', idempotency_key: 'k-1' },
    ]) {
      const again = await t.api('POST', '/api/v1/messages', { token: s.token, body });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({
        success: true,
        message_id: first.body.message_id,
        thread_id: first.body.thread_id,
        recipients: [r.id],
        created_at: first.body.created_at,
        duplicate: true,
      });
    }
    const ws = await WsClient.connect(t.url, s.id, { token: s.token });
    sockets.push(ws);
    const viaWs = await ws.call({ type: 'send', to: r.id, body: 'once', idempotency_key: 'k-1' }, 'w1');
    expect(viaWs).toMatchObject({ message_id: first.body.message_id, duplicate: true });
    expect(await storedMessages(t)).toEqual(before);
    const inbox = await t.api('GET', '/api/v1/messages?since=0', { token: r.token });
    expect(inbox.body.messages.map((m: any) => m.body)).toEqual(['once']);

    // Keys belong to their sender: another sender's same key is a new message.
    const theirs = await t.api('POST', '/api/v1/messages', {
      token: other.token,
      body: { to: r.id, body: 'mine', idempotency_key: 'k-1' },
    });
    expect(theirs.body.duplicate).toBe(false);
    expect(theirs.body.message_id).not.toBe(first.body.message_id);

    // Concurrent sends with one key: one message, every caller gets its id, exactly one is not a duplicate.
    const racers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        i % 2 === 0
          ? t!.api('POST', '/api/v1/messages', {
              token: s.token,
              body: { to: r.id, body: `race ${i}`, idempotency_key: 'race' },
            })
          : ws
              .call({ type: 'send', to: r.id, body: `race ${i}`, idempotency_key: 'race' }, `race-${i}`)
              .then((result) => ({
                status: 200,
                body: result,
              })),
      ),
    );
    expect(racers.every((x) => x.status === 200)).toBe(true);
    expect(new Set(racers.map((x) => x.body.message_id)).size).toBe(1);
    expect(racers.filter((x) => x.body.duplicate === false)).toHaveLength(1);
    expect(await countRows(t, 'messages', "idempotency_key = 'race'")).toBe(1);
    const after = await t.api('GET', '/api/v1/messages?since=0&limit=500', { token: r.token });
    expect(after.body.messages.filter((m: any) => String(m.body).startsWith('race'))).toHaveLength(1);
  });

  it('refuses bad sends with a 4xx that says what is wrong, and stores nothing for any of them', async () => {
    t = await hubs.start({ rateLimit: { enabled: false } });
    const s = await t.register('Sender');
    const r = await t.register('Recipient');
    const gone = await t.register('Gone');
    await t.api('DELETE', `/api/v1/agents/${gone.id}`, { token: gone.token });
    const before = await storedMessages(t);
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ body: 'no to' }, 400, 'invalid_input'],
      [{ to: [], body: 'empty list' }, 400, 'invalid_input'],
      [{ to: '', body: 'empty' }, 400, 'invalid_input'],
      [{ to: 'nobody-here', body: 'x' }, 404, 'not_found'],
      // One unknown recipient in a list: nobody gets it (no partial delivery).
      [{ to: [r.id, 'nobody-here'], body: 'x' }, 404, 'not_found'],
      [{ to: [r.id, gone.id], body: 'x' }, 404, 'not_found'],
      [{ to: 'capability:', body: 'x' }, 400, 'invalid_input'],
      // A capability nobody (else) has would reach no one, and nobody who registers later gets it.
      [{ to: 'capability:nobody-has-this', body: 'x' }, 404, 'not_found'],
      [{ to: r.id, body: 'x', thread_id: 'not-a-thread' }, 404, 'not_found'],
      [{ to: 'topic:bad topic!', body: 'x' }, 400, 'invalid_input'],
      [{ to: r.id, body: 'a', message: 'b' }, 400, 'invalid_input'],
      [{ to: r.id, body: 'x', type: 'Not A Word' }, 400, 'invalid_input'],
      [{ to: r.id, body: 'x', importance: 'critical' }, 400, 'invalid_input'],
      [{ to: r.id, body: 'x', ttl_seconds: 0 }, 400, 'invalid_input'],
      [{ to: r.id, body: 'x', ttl_seconds: 1.5 }, 400, 'invalid_input'],
      [{ to: r.id, body: 'x', ack_required: 'yes' }, 400, 'invalid_input'],
      [{ to: r.id, body: 'x', reply_to: 'msg_missing' }, 404, 'not_found'],
      [{ to: r.id, body: 'x', idempotency_key: '' }, 400, 'invalid_input'],
      [{ to: r.id, body: 'x', surprise: 1 }, 400, 'invalid_input'],
      [{ to: r.id, body: ['arrays', 'are', 'not', 'bodies'] }, 400, 'invalid_input'],
      [{ to: r.id, body: 'x'.repeat(300 * 1024) }, 413, 'payload_too_large'],
      [{ to: r.id, body: 'x', idempotency_key: 'refused-key', importance: 'loud' }, 400, 'invalid_input'],
    ];
    for (const [body, status, code] of cases) {
      const res = await t.api('POST', '/api/v1/messages', { token: s.token, body });
      expect({
        body: JSON.stringify(body).slice(0, 80),
        status: res.status,
        code: res.body?.error?.code,
      }).toEqual({
        body: JSON.stringify(body).slice(0, 80),
        status,
        code,
      });
      expect(res.body.success).toBe(false);
      expect(res.body.error.message.length).toBeGreaterThan(5);
    }
    expect(await storedMessages(t)).toEqual(before);
    // A refused key is not burnt: the same key works once the send is valid.
    const ok = await t.api('POST', '/api/v1/messages', {
      token: s.token,
      body: { to: r.id, body: 'x', idempotency_key: 'refused-key' },
    });
    expect(ok.body.duplicate).toBe(false);
  });

  it('says what to may be when it is missing or mistyped, and which id or capability names nobody', async () => {
    t = await hubs.start({ rateLimit: { enabled: false } });
    const s = await t.register('Sender', { capabilities: ['docs'] });
    const r = await t.register('Recipient');
    const forms = ['agent id', 'list of agent ids', '"ALL"', '"capability:<name>"', '"topic:<name>"'];
    for (const body of [
      { body: 'no to' },
      { to: 5, body: 'a number' },
      { to: null, body: 'null' },
      { to: { id: r.id }, body: 'an object' },
      { to: '', body: 'empty' },
      { to: [], body: 'empty list' },
      { to: 'x'.repeat(201), body: 'too long' },
    ]) {
      const res = await t.api('POST', '/api/v1/messages', { token: s.token, body });
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.body.error.message).toMatch(/^Invalid send_message input: to: /);
      for (const form of forms) expect(res.body.error.message).toContain(form);
    }
    const typo = await t.api('POST', '/api/v1/messages', {
      token: s.token,
      body: { to: `${r.id}x`, body: 'x' },
    });
    expect(typo.status).toBe(404);
    expect(typo.body.error.message).toContain(`No agent ${r.id}x`);
    // The sender's own capability is not a recipient: nobody else has it.
    for (const to of ['capability:nobody-has-this', 'capability:docs']) {
      const res = await t.api('POST', '/api/v1/messages', { token: s.token, body: { to, body: 'x' } });
      expect(res.status).toBe(404);
      expect(res.body.error.message).toMatch(/nobody is registered with capability/);
    }
  });

  it('warns when a send reaches no one (ALL alone in a project, a topic without subscribers), and stores it', async () => {
    t = await hubs.start({ rateLimit: { enabled: false } });
    const alone = await t.register('Alone', { project: 'solo' });
    const quiet = await t.api('POST', '/api/v1/messages', {
      token: alone.token,
      body: { to: 'topic:quiet', body: 'anyone?', idempotency_key: 'q1' },
    });
    expect(quiet.status).toBe(200);
    expect(quiet.body).toMatchObject({ success: true, recipients: [], duplicate: false });
    expect(quiet.body.warning).toMatch(/nobody is subscribed to topic:quiet/);
    const again = await t.api('POST', '/api/v1/messages', {
      token: alone.token,
      body: { to: 'topic:quiet', body: 'anyone?', idempotency_key: 'q1' },
    });
    expect(again.body).toMatchObject({ duplicate: true, warning: quiet.body.warning });
    const all = await t.api('POST', '/api/v1/messages', {
      token: alone.token,
      body: { to: 'ALL', body: 'hello?' },
    });
    expect(all.status).toBe(200);
    expect(all.body.warning).toMatch(/no other agent is registered in project solo/);
    expect(await countRows(t, 'messages')).toBe(2);

    // A send that reaches someone has no warning.
    const friend = await t.register('Friend', { project: 'solo' });
    const heard = await t.api('POST', '/api/v1/messages', {
      token: alone.token,
      body: { to: 'ALL', body: 'hi' },
    });
    expect(heard.body.recipients).toEqual([friend.id]);
    expect(heard.body).not.toHaveProperty('warning');
  });

  it('accepts the seed API shape and defaults: message alias, default type, any lower-case type word, JSON bodies', async () => {
    t = await hubs.start();
    const s = await t.register('Sender');
    const r = await t.register('Recipient');
    const seed = await t.api('POST', '/api/v1/messages', {
      token: s.token,
      body: { from: s.id, to: r.id, message: 'seed style' },
    });
    expect(seed.status).toBe(200);
    const typed = await t.api('POST', '/api/v1/messages', {
      token: s.token,
      body: { to: r.id, body: { task: 'x', n: [1, 2] }, type: 'task_proposal' },
    });
    expect(typed.status).toBe(200);
    const dup = await t.api('POST', '/api/v1/messages', {
      token: s.token,
      body: { to: [r.id, r.id], body: 'twice listed' },
    });
    expect(dup.body.recipients).toEqual([r.id]);
    const inbox = await t.api('GET', '/api/v1/messages', { token: r.token });
    expect(inbox.body.messages.map((m: any) => [m.type, m.body])).toEqual([
      ['message', 'seed style'],
      ['task_proposal', { task: 'x', n: [1, 2] }],
      ['message', 'twice listed'],
    ]);
    expect(inbox.body.messages[0]).toMatchObject({
      importance: 'normal',
      ack_required: false,
      reply_to: null,
      correlation_id: null,
    });
  });

  it('gives each recipient each message once, in inbox order, under concurrent senders; unsubscribing stops topic delivery', async () => {
    t = await hubs.start({ rateLimit: { enabled: false } });
    const r = await t.register('Recipient');
    const senders = await Promise.all([1, 2, 3, 4].map((i) => t!.register(`S${i}`)));
    await t.api('POST', '/api/v1/topics/subscribe', { token: r.token, body: { topic: 'feed' } });
    const results = await Promise.all(
      senders.flatMap((s, si) =>
        Array.from({ length: 25 }, (_, i) =>
          t!.api('POST', '/api/v1/messages', {
            token: s.token,
            body: { to: i % 3 === 0 ? 'topic:feed' : i % 3 === 1 ? 'ALL' : r.id, body: `${si}-${i}` },
          }),
        ),
      ),
    );
    expect(results.every((x) => x.status === 200)).toBe(true);
    const mine = results.filter((x) => x.body.recipients.includes(r.id)).map((x) => x.body.message_id);
    expect(mine).toHaveLength(100);
    const inbox = await t.api('GET', '/api/v1/messages?since=0&limit=500', { token: r.token });
    const got = inbox.body.messages.map((m: any) => m.message_id);
    expect(new Set(got).size).toBe(got.length);
    expect([...got].sort()).toEqual([...mine].sort());
    const cursors = inbox.body.messages.map((m: any) => Number(m.cursor));
    expect(cursors.every((c: number, i: number) => i === 0 || c > cursors[i - 1])).toBe(true);

    const unsub = await t.api('POST', '/api/v1/topics/unsubscribe', {
      token: r.token,
      body: { topic: 'feed' },
    });
    expect(unsub.body).toMatchObject({ topic: 'feed', subscribed: false, topics: [] });
    const after = await t.api('POST', '/api/v1/messages', {
      token: senders[0].token,
      body: { to: 'topic:feed', body: 'late' },
    });
    expect(after.body.recipients).toEqual([]);
  });
});
