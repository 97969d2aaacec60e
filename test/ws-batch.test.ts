/**
 * Batched sends over the WebSocket (`send_batch`), on a real hub over a real socket: one frame with
 * several sends is answered once, with a slot per message; a bad message fails only itself and the
 * others are stored (in order, each pushed to its recipient); idempotency keys de-duplicate per
 * message; the limits (messages per frame, frame bytes) are refused with a clear error and store
 * nothing; and `AgentClient` sends the sends of one tick as one frame.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket as ServerSocket } from 'ws';
import { AgentClient, SwitchboardError } from '../src/client/index.js';
import { hubForFile } from './helpers/hub.js';
import { fingerprint } from './hostile-support.js';
import { WsClient } from './ws-resume-client.js';

const BODY_LIMIT = 128 * 1024;
const t = hubForFile({
  rateLimit: { enabled: false },
  http: { bodyLimitBytes: BODY_LIMIT },
  messages: { maxBodyBytes: 4096 },
});

const sockets: WsClient[] = [];
const clients: AgentClient[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) await s.close();
  for (const c of clients.splice(0)) await c.close();
});

let n = 0;
/** A sender and a receiver of their own (each test's messages are its own), both connected. */
async function pair() {
  const tag = `t${++n}`;
  const sender = await t.register(`Sender ${tag}`, { agent_id: `sender-${tag}` });
  const receiver = await t.register(`Receiver ${tag}`, { agent_id: `receiver-${tag}` });
  const out = await WsClient.connect(t.url, sender.id, { token: sender.token });
  const inbox = await WsClient.connect(t.url, receiver.id, { token: receiver.token });
  sockets.push(out, inbox);
  return { sender, receiver, out, inbox };
}

/** Every message stored for `agent`, oldest first (read over REST, not marked read). */
async function storedFor(agent: { token: string }) {
  const res = await t.api('GET', '/api/v1/messages?since=0&limit=500&mark_read=false', {
    token: agent.token,
  });
  expect(res.status).toBe(200);
  return res.body.messages as Array<{ message_id: string; body: unknown; type: string }>;
}

describe('send_batch frame', () => {
  it('stores exactly the good messages of a batch with bad ones, in order, and answers each', async () => {
    const { sender, receiver, out, inbox } = await pair();
    const result = await out.call(
      {
        type: 'send_batch',
        messages: [
          { to: receiver.id, body: 'one' },
          { to: 'nobody-here', body: 'unknown recipient' },
          { to: receiver.id, body: 'two', message_type: 'request', correlation_id: 'c-2' },
          { to: 42, body: 'not an address' },
          { to: receiver.id, body: 'x'.repeat(5000) },
          { to: receiver.id, body: 'forged', from: 'someone-else' },
          { to: receiver.id, body: 'both', message: 'both' },
          'not an object',
          { to: receiver.id, body: 'three', importance: 'high' },
        ],
      },
      'b1',
    );
    const slots = result.results as Array<Record<string, any>>;
    expect(slots).toHaveLength(9);
    expect(slots.map((s) => s.success)).toEqual([true, false, true, false, false, false, false, false, true]);
    expect(slots[1].error.code).toBe('not_found');
    expect(slots[3].error.code).toBe('invalid_input');
    expect(slots[3].error.message).toMatch(/to/);
    expect(slots[4].error.code).toBe('payload_too_large');
    expect(slots[5].error.code).toBe('forbidden');
    expect(slots[6].error.code).toBe('invalid_input');
    expect(slots[7].error.code).toBe('invalid_input');
    for (const s of slots.filter((s) => s.success)) {
      expect(s).toMatchObject({ recipients: [receiver.id], duplicate: false });
      expect(s.message_id).toMatch(/^msg_/);
    }
    // The answer came after the commit: the messages are readable, exactly the three good ones, in order.
    const rows = await storedFor(receiver);
    expect(rows.map((m) => m.body)).toEqual(['one', 'two', 'three']);
    expect(rows.map((m) => m.message_id)).toEqual([
      slots[0].message_id,
      slots[2].message_id,
      slots[8].message_id,
    ]);
    expect(rows[1].type).toBe('request');
    // And pushed live to the receiver, in the same order, with increasing cursors.
    await inbox.until(() => (inbox.messages().length >= 3 ? true : undefined), 15_000, 'three pushes');
    const pushed = inbox.messages();
    expect(pushed.map((f) => f.message.body)).toEqual(['one', 'two', 'three']);
    const cursors = pushed.map((f) => Number(f.cursor));
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
    // Nothing for the unknown recipient, and nothing stored as sent by someone else.
    expect(await storedFor(sender)).toEqual([]);
  });

  it('de-duplicates by idempotency key per message, within a batch and across batches', async () => {
    const { receiver, out } = await pair();
    const first = (
      await out.call(
        {
          type: 'send_batch',
          messages: [
            { to: receiver.id, body: 'a', idempotency_key: 'k-a' },
            { to: receiver.id, body: 'b', idempotency_key: 'k-b' },
            { to: receiver.id, body: 'a again', idempotency_key: 'k-a' },
            { to: receiver.id, body: 'no key' },
          ],
        },
        'i1',
      )
    ).results as Array<Record<string, any>>;
    expect(first.map((s) => s.success)).toEqual([true, true, true, true]);
    expect(first[2].message_id).toBe(first[0].message_id);
    expect(first[2].duplicate).toBe(true);
    expect(first[0].duplicate).toBe(false);
    expect(first[1].duplicate).toBe(false);

    // The same keys again (a client repeating a batch whose answer it lost): nothing new stored.
    const again = (
      await out.call(
        {
          type: 'send_batch',
          messages: [
            { to: receiver.id, body: 'b', idempotency_key: 'k-b' },
            { to: receiver.id, body: 'c', idempotency_key: 'k-c' },
            { to: receiver.id, body: 'a', idempotency_key: 'k-a' },
          ],
        },
        'i2',
      )
    ).results as Array<Record<string, any>>;
    expect(again.map((s) => [s.message_id, s.duplicate])).toEqual([
      [first[1].message_id, true],
      [expect.stringMatching(/^msg_/), false],
      [first[0].message_id, true],
    ]);
    expect((await storedFor(receiver)).map((m) => m.body)).toEqual(['a', 'b', 'no key', 'c']);
  });

  it('refuses a batch over the message limit, or not a list, whole, storing nothing', async () => {
    const { receiver, out } = await pair();
    const before = await fingerprint(t);
    const tooMany = Array.from({ length: 501 }, (_, i) => ({ to: receiver.id, body: `m${i}` }));
    await expect(out.call({ type: 'send_batch', messages: tooMany }, 'l1')).rejects.toMatchObject({
      frame: { type: 'error', id: 'l1', error: { code: 'payload_too_large' } },
    });
    const refused = out.frames.find((f) => f.id === 'l1')!;
    expect(refused.error.message).toMatch(/at most 500 messages, this one has 501/);
    for (const messages of [[], 'x', { to: receiver.id }, undefined]) {
      const id = `l-${JSON.stringify(messages)}`;
      await expect(out.call({ type: 'send_batch', messages }, id)).rejects.toMatchObject({
        frame: { type: 'error', id, error: { code: 'invalid_input' } },
      });
    }
    expect(await fingerprint(t)).toBe(before);
    // 500 is allowed.
    const ok = await out.call({ type: 'send_batch', messages: tooMany.slice(0, 500) }, 'l2');
    expect(ok.results.filter((s: { success: boolean }) => s.success)).toHaveLength(500);
    expect(await storedFor(receiver)).toHaveLength(500);
  });

  it('refuses a frame over http.bodyLimitBytes with a clear error and stays open; twice that closes with 1009', async () => {
    const { receiver, out } = await pair();
    const before = await fingerprint(t);
    const body = 'y'.repeat(4000);
    const big = Array.from({ length: 40 }, () => ({ to: receiver.id, body })); // ~165 KiB
    await expect(out.call({ type: 'send_batch', messages: big }, 'f1')).rejects.toMatchObject({
      frame: { type: 'error', id: 'f1', error: { code: 'payload_too_large' } },
    });
    const refused = out.frames.find((f) => f.id === 'f1')!;
    expect(refused.error.message).toMatch(
      new RegExp(`at most ${BODY_LIMIT} bytes \\(http.bodyLimitBytes\\)`),
    );
    expect(await fingerprint(t)).toBe(before);
    expect(out.closed).toBeUndefined();
    const ok = await out.call({ type: 'send_batch', messages: big.slice(0, 20) }, 'f2');
    expect(ok.results).toHaveLength(20);

    out.sendRaw(
      JSON.stringify({
        type: 'send_batch',
        messages: [{ to: receiver.id, body: 'z'.repeat(2 * BODY_LIMIT) }],
      }),
    );
    expect((await out.waitClosed()).code).toBe(1009);
    expect(await storedFor(receiver)).toHaveLength(20);
  });
});

describe('AgentClient over the socket', () => {
  it('sends the sends of one tick as one send_batch frame; each resolves or fails on its own', async () => {
    const tag = `c${++n}`;
    const received: string[] = [];
    const framesSeen: string[] = [];
    const server = (
      t.hub.http as unknown as { websocketServer: { on(e: string, f: (s: ServerSocket) => void): void } }
    ).websocketServer;
    server.on('connection', (socket) =>
      socket.on('message', (data) =>
        framesSeen.push(String((JSON.parse(String(data)) as { type: string }).type)),
      ),
    );
    const alice = new AgentClient({ url: t.url, name: `Alice ${tag}`, agentId: `alice-${tag}` });
    const bob = new AgentClient({ url: t.url, name: `Bob ${tag}`, agentId: `bob-${tag}` });
    clients.push(alice, bob);
    await alice.register();
    await bob.register();
    let all!: () => void;
    const got = new Promise<void>((resolve) => (all = resolve));
    await bob.listen((m) => {
      received.push(String(m.body));
      if (received.length === 20) all();
    });
    await alice.listen(() => {});
    framesSeen.length = 0;

    const sends = Array.from({ length: 21 }, (_, i) =>
      i === 10
        ? alice.send('nobody-at-all', 'lost')
        : alice.send(bob.id, `m${i}`, { idempotency_key: `k${i}` }),
    );
    const settled = await Promise.allSettled(sends);
    expect(framesSeen).toEqual(['send_batch']);
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(20);
    const failed = settled[10];
    expect(failed.status).toBe('rejected');
    expect((failed as PromiseRejectedResult).reason).toBeInstanceOf(SwitchboardError);
    expect((failed as PromiseRejectedResult).reason.code).toBe('not_found');
    await got;
    expect(received).toEqual(Array.from({ length: 21 }, (_, i) => `m${i}`).filter((b) => b !== 'm10'));

    // A send on its own is a plain send frame.
    framesSeen.length = 0;
    const one = await alice.send(bob.id, 'alone');
    expect(one.message_id).toMatch(/^msg_/);
    expect(framesSeen).toEqual(['send']);

    // More than a frame's worth in one tick: split into frames of at most 200 messages.
    framesSeen.length = 0;
    const many = await Promise.all(Array.from({ length: 450 }, (_, i) => alice.send(bob.id, `n${i}`)));
    expect(new Set(many.map((r) => r.message_id)).size).toBe(450);
    expect(framesSeen).toEqual(['send_batch', 'send_batch', 'send_batch']);
  });
});
