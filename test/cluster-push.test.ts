/**
 * Live push across hub nodes: two hubs on one PostgreSQL database; a message sent on node 1 reaches
 * its recipient's WebSocket, SSE stream and blocked `wait_for_messages` on node 2, once each, in
 * cursor order — carried by the cluster bus (outbox + NOTIFY), read back by cursor from the store.
 */
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { channels } from '../src/bus/bus.js';
import { ClusterBus } from '../src/bus/cluster.js';
import { createTestDatabase, hasPostgres, type TestDatabase } from './helpers/postgres.js';
import { hubPerTest, type TestHub } from './helpers/hub.js';
import { until, withDeadline } from './helpers/wait.js';

const sockets: WebSocket[] = [];
const aborts: AbortController[] = [];
const hubs = hubPerTest(() => {
  for (const ws of sockets.splice(0)) ws.close();
  for (const a of aborts.splice(0)) a.abort();
});

describe.runIf(hasPostgres())('live push across two hub nodes', () => {
  const dbs: TestDatabase[] = [];
  afterAll(async () => {
    for (const db of dbs.splice(0)) await db.drop();
  });

  async function twoNodes(): Promise<[TestHub, TestHub]> {
    const db = await createTestDatabase();
    dbs.push(db);
    const config = { db: db.url, rateLimit: { enabled: false } };
    return [await hubs.start(config), await hubs.start(config)];
  }

  /** A WebSocket of `agent` on `t`, collecting the message ids it is pushed (with their cursors). */
  async function socket(t: TestHub, agent: { id: string; token: string }) {
    const got: Array<{ id: string; cursor: number }> = [];
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/ws/${agent.id}?token=${agent.token}`);
    sockets.push(ws);
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (raw) => {
        const frame = JSON.parse(String(raw));
        if (frame.type === 'ready') resolve();
        if (frame.type === 'message')
          got.push({ id: frame.message.message_id, cursor: Number(frame.cursor) });
      });
      ws.once('error', reject);
    });
    return got;
  }

  /** An SSE stream of `agent` on `t` (live from now), collecting the message ids it is pushed. */
  async function stream(t: TestHub, agent: { id: string; token: string }) {
    const got: string[] = [];
    const controller = new AbortController();
    aborts.push(controller);
    const res = await fetch(`${t.url}/api/v1/events`, {
      headers: { authorization: `Bearer ${agent.token}` },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    void (async () => {
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (/^event: message$/m.test(block))
            got.push(JSON.parse(/^data: (.*)$/m.exec(block)![1]).message.message_id);
        }
      }
    })().catch(() => {});
    return got;
  }

  it('a send on node 1 reaches the WebSocket, SSE stream and wait_for_messages of its recipient on node 2', async () => {
    const [one, two] = await twoNodes();
    const sender = await one.register('sender');
    const receiver = await one.register('receiver');
    const channel = channels.agent(receiver.id);

    const ws = await socket(two, receiver);
    const sse = await stream(two, receiver);
    await until(
      'the WebSocket and SSE stream on node 2 to subscribe',
      () => two.hub.bus.listenerCount(channel) >= 2,
    );
    const before = two.hub.bus.listenerCount(channel);
    const waiting = two.api('GET', '/api/v1/messages/wait?timeout_seconds=20', { token: receiver.token });
    await until('wait_for_messages on node 2 to block', () => two.hub.bus.listenerCount(channel) > before);

    const sent = await one.api('POST', '/api/v1/messages', {
      token: sender.token,
      body: { to: receiver.id, body: 'across the cluster' },
    });
    expect(sent.status).toBe(200);
    const id = sent.body.message_id;

    const woken = await withDeadline('wait_for_messages on node 2', waiting);
    expect(woken.status).toBe(200);
    expect(woken.body.timed_out).toBe(false);
    expect(woken.body.messages.map((m: { message_id: string }) => m.message_id)).toEqual([id]);
    await until('the WebSocket on node 2 to be pushed the message', () => ws.length === 1);
    await until('the SSE stream on node 2 to be pushed the message', () => sse.length === 1);
    expect(ws.map((m) => m.id)).toEqual([id]);
    expect(sse).toEqual([id]);
    expect((two.hub.bus as ClusterBus).stats().received).toBeGreaterThan(0);
  });

  it('many sends on both nodes: each recipient socket gets every message once, in cursor order', async () => {
    const [one, two] = await twoNodes();
    const a = await one.register('a');
    const b = await two.register('b');
    const onTwo = await socket(two, b); // b listens on node 2
    const onOne = await socket(one, a); // a listens on node 1
    const N = 60;
    const send = (t: TestHub, from: { token: string }, to: string, i: number) =>
      t.api('POST', '/api/v1/messages', { token: from.token, body: { to, body: `m${i}` } });
    // a sends to b from node 1, and b to a from node 2, at the same time.
    const [toB, toA] = await Promise.all([
      Promise.all(Array.from({ length: N }, (_, i) => send(one, a, b.id, i))),
      Promise.all(Array.from({ length: N }, (_, i) => send(two, b, a.id, i))),
    ]);
    const idsToB = new Set(toB.map((r) => r.body.message_id));
    const idsToA = new Set(toA.map((r) => r.body.message_id));
    await until('b on node 2 to be pushed every message', () => onTwo.length >= N);
    await until('a on node 1 to be pushed every message', () => onOne.length >= N);
    for (const [got, want] of [
      [onTwo, idsToB],
      [onOne, idsToA],
    ] as const) {
      expect(new Set(got.map((m) => m.id))).toEqual(want);
      expect(got).toHaveLength(N);
      const cursors = got.map((m) => m.cursor);
      expect([...cursors].sort((x, y) => x - y)).toEqual(cursors);
    }
  });

  it('senders on both nodes to one recipient: its socket gets every message, in cursor order', async () => {
    const [one, two] = await twoNodes();
    const a1 = await one.register('a1');
    const a2 = await two.register('a2');
    const b = await two.register('b');
    const got = await socket(two, b);
    const N = 40;
    const send = (t: TestHub, from: { token: string }, i: number) =>
      t.api('POST', '/api/v1/messages', { token: from.token, body: { to: b.id, body: `m${i}` } });
    const sent = await Promise.all([
      ...Array.from({ length: N }, (_, i) => send(one, a1, i)),
      ...Array.from({ length: N }, (_, i) => send(two, a2, i)),
    ]);
    const ids = new Set(sent.map((r) => r.body.message_id));
    await (one.hub.bus as ClusterBus).drain();
    await (two.hub.bus as ClusterBus).catchUp();
    await until('b on node 2 to be pushed every message', () => got.length >= 2 * N);
    expect(new Set(got.map((m) => m.id))).toEqual(ids);
    expect(got.map((m) => m.cursor)).toEqual(Array.from({ length: 2 * N }, (_, i) => i + 1));
  });
});
