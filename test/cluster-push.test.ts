/**
 * Live push across hub nodes: two (and three) hubs on one PostgreSQL database; a message sent on one
 * node reaches its recipient's WebSocket, SSE stream and blocked `wait_for_messages` (REST, and MCP
 * over Streamable HTTP) on another node, once each, in cursor order — carried by the cluster bus
 * (outbox + NOTIFY), read back by cursor from the store.
 */
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { channels } from '../src/bus/bus.js';
import { ClusterBus } from '../src/bus/cluster.js';
import type { Client } from '@modelcontextprotocol/client';
import { connect2025, connect2026, structured } from './mcp-clients.js';
import { pushesTo } from './helpers/ws-pushes.js';
import { createTestDatabase, hasPostgres, type TestDatabase } from './helpers/postgres.js';
import { hubPerTest, type TestHub } from './helpers/hub.js';
import { until, withDeadline } from './helpers/wait.js';

const sockets: WebSocket[] = [];
const aborts: AbortController[] = [];
const mcps: Client[] = [];
const hubs = hubPerTest(async () => {
  for (const ws of sockets.splice(0)) ws.close();
  for (const a of aborts.splice(0)) a.abort();
  for (const c of mcps.splice(0)) await c.close().catch(() => {});
});

describe.runIf(hasPostgres())('live push across hub nodes', () => {
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

  async function threeNodes(): Promise<[TestHub, TestHub, TestHub]> {
    const db = await createTestDatabase();
    dbs.push(db);
    const config = { db: db.url, rateLimit: { enabled: false } };
    return [await hubs.start(config), await hubs.start(config), await hubs.start(config)];
  }

  /**
   * `wait_for_messages` called over MCP (Streamable HTTP) on `t`; resolves once the call blocks, with
   * `{ answer }` (wrapped, so awaiting this does not also await the answer).
   */
  async function mcpWait(
    t: TestHub,
    agent: { id: string; token: string },
    connect: typeof connect2025,
    args: Record<string, unknown> = {},
  ) {
    const client = await connect(t.url, { token: agent.token });
    mcps.push(client);
    const channel = channels.agent(agent.id);
    const before = t.hub.bus.listenerCount(channel);
    const call = client
      .callTool({ name: 'wait_for_messages', arguments: { timeout_seconds: 30, ...args } })
      .then((r) =>
        structured<{ timed_out: boolean; messages: Array<{ message_id: string; cursor: string }> }>(r),
      );
    call.catch(() => {}); // awaited by the caller
    await until('wait_for_messages over MCP to block', () => t.hub.bus.listenerCount(channel) > before);
    return { answer: call };
  }

  const socket = (t: TestHub, agent: { id: string; token: string }) => pushesTo(t.url, agent, sockets);

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
  it('MCP wait_for_messages over Streamable HTTP on node 2 wakes for a send on node 1 (session and stateless clients)', async () => {
    const [one, two] = await twoNodes();
    const sender = await one.register('sender');
    const receiver = await two.register('receiver');
    for (const connect of [connect2025, connect2026]) {
      const { answer: waiting } = await mcpWait(two, receiver, connect);
      const sent = await one.api('POST', '/api/v1/messages', {
        token: sender.token,
        body: { to: receiver.id, body: `via ${connect.name}` },
      });
      expect(sent.status).toBe(200);
      const woken = await withDeadline(`MCP wait_for_messages (${connect.name})`, waiting);
      expect(woken.timed_out).toBe(false);
      // Returned messages are marked read, so each wait gets only the new one.
      expect(woken.messages.map((m) => m.message_id)).toEqual([sent.body.message_id]);
    }
  });

  it('three nodes: senders on every node, the recipient on node 3 gets each message once, in cursor order, on every surface', async () => {
    const [one, two, three] = await threeNodes();
    const senders = [await one.register('s1'), await two.register('s2'), await three.register('s3')];
    const nodes = [one, two, three];
    const b = await three.register('b');
    const ws = await socket(three, b);
    const sse = await stream(three, b);
    await until(
      'the WebSocket and SSE stream on node 3 to subscribe',
      () => three.hub.bus.listenerCount(channels.agent(b.id)) >= 2,
    );
    // A blocked MCP wait on node 3 that reads everything after cursor 0 without marking it read.
    const { answer: waiting } = await mcpWait(three, b, connect2026, { since: '0', limit: 500 });
    const N = 20;
    const sent = await Promise.all(
      nodes.flatMap((node, n) =>
        Array.from({ length: N }, (_, i) =>
          node.api('POST', '/api/v1/messages', {
            token: senders[n]!.token,
            body: { to: b.id, body: `n${n} m${i}` },
          }),
        ),
      ),
    );
    expect(sent.every((r) => r.status === 200)).toBe(true);
    const ids = new Set(sent.map((r) => r.body.message_id));
    const woken = await withDeadline('MCP wait_for_messages on node 3', waiting);
    expect(woken.timed_out).toBe(false);
    expect(woken.messages.length).toBeGreaterThan(0);
    expect(woken.messages.map((m) => Number(m.cursor))).toEqual(
      Array.from({ length: woken.messages.length }, (_, i) => i + 1),
    );

    await until('the WebSocket on node 3 to be pushed every message', () => ws.length >= 3 * N);
    await until('the SSE stream on node 3 to be pushed every message', () => sse.length >= 3 * N);
    expect(new Set(ws.map((m) => m.id))).toEqual(ids);
    expect(ws.map((m) => m.cursor)).toEqual(Array.from({ length: 3 * N }, (_, i) => i + 1));
    expect(sse).toEqual(ws.map((m) => m.id));
    const inbox = await one.api('GET', '/api/v1/messages?since=0&limit=500&mark_read=false', {
      token: b.token,
    });
    expect(inbox.body.messages.map((m: { message_id: string }) => m.message_id)).toEqual(ws.map((m) => m.id));
  });
});
