/**
 * Failover between two live hub nodes on one PostgreSQL database: an `AgentClient` (and the stdio
 * bridge `switchboard mcp`) given both URLs keeps working when the first node is closed in the middle
 * of a stream of sends. Sends carry idempotency keys, so one whose answer was lost is repeated on the
 * other node and still stored once; the receiver's live streams (WebSocket and SSE) resume on the
 * other node from their cursors. Afterwards every message is in the inbox exactly once, and the receiver got each exactly
 * once, in cursor order. One test kills a node process with SIGKILL (the hub runs from dist/: needs
 * `npm run build`).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { InboxMessageView } from '../src/client/index.js';
import { AgentClient, HubClient } from '../src/client/index.js';
import { type Bridge, idsPushed, startBridge } from './helpers/bridge-session.js';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { createTestDatabase, hasPostgres, type TestDatabase } from './helpers/postgres.js';
import { type NodeProcess, startNodeProcess } from './helpers/node-process.js';

const hubs: TestHub[] = [];
const clients: AgentClient[] = [];
const bridges: Bridge[] = [];
const dbs: TestDatabase[] = [];
const children: ChildProcess[] = [];
const homes: string[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    }
  }
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
  for (const b of bridges.splice(0)) await b.client.close().catch(() => {});
  for (const c of clients.splice(0)) await c.close().catch(() => {});
  for (const h of hubs.splice(0)) await h.close().catch(() => {});
  for (const db of dbs.splice(0)) await db.drop();
});

/** Two nodes on one fresh PostgreSQL database. */
async function twoNodes(): Promise<[TestHub, TestHub]> {
  const db = await createTestDatabase();
  dbs.push(db);
  const first = await startTestHub({ db: db.url });
  hubs.push(first);
  const second = await startTestHub({ db: db.url });
  hubs.push(second);
  return [first, second];
}

/** `switchboard serve --db <url>` as its own process; resolves with its URL once it listens. */
async function nodeProcess(db: string): Promise<NodeProcess> {
  const home = mkdtempSync(join(tmpdir(), 'switchboard-node-'));
  homes.push(home);
  return startNodeProcess({ db, home, track: (proc) => children.push(proc) });
}

/** Closes a node (its clients see their connections close and connecting refused from then on). */
async function kill(node: TestHub): Promise<void> {
  await node.hub.close();
}

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const TOTAL = 40;
const KILL_AFTER = 12;

describe.runIf(hasPostgres())('failover between two nodes on one PostgreSQL database', () => {
  it('an AgentClient with both URLs: sends go on via the second node, each message received exactly once in cursor order', async () => {
    const [first, second] = await twoNodes();
    const urls = [first.url, second.url];
    const reconnect = { initialDelayMs: 50, maxDelayMs: 300 };
    const receiver = new AgentClient({ url: urls, name: 'receiver', reconnect });
    clients.push(receiver);
    await receiver.register();
    const sender = new AgentClient({ url: urls, name: 'sender' });
    clients.push(sender);
    await sender.register();
    const got: InboxMessageView[] = [];
    await receiver.listen((m) => {
      got.push(m);
    });
    // The same agent's SSE stream, also given both URLs.
    const abort = new AbortController();
    const streamed: string[] = [];
    const sse = new HubClient({ url: urls, token: receiver.token });
    const reading = (async () => {
      for await (const event of sse.events({ since: '0', signal: abort.signal, reconnect })) {
        if (event.type === 'message') streamed.push(event.message.message_id);
      }
    })();
    reading.catch(() => {}); // awaited at the end; a failure shows in the assertions first

    const sent: string[] = [];
    let killed: Promise<void> | undefined;
    for (let n = 1; n <= TOTAL; n++) {
      // The first node goes away while sends are in flight and the receiver is streaming from it.
      if (n === KILL_AFTER) killed = kill(first);
      const result = await sender.send(receiver.id, `m${n}`, { idempotency_key: `m${n}` });
      sent.push(result.message_id);
    }
    await killed;
    expect(new Set(sent).size).toBe(TOTAL);
    expect(sender.hub.url).toBe(second.url);

    await until(
      () => got.length >= TOTAL && streamed.length >= TOTAL,
      `all ${TOTAL} messages on the receiver's WebSocket and SSE stream`,
    );
    await new Promise((r) => setTimeout(r, 200)); // a duplicate would show up now
    abort.abort();
    await reading;
    expect(streamed).toEqual(sent);
    expect(sse.url).toBe(second.url);
    expect(got.map((m) => m.message_id)).toEqual(sent);
    expect(got.map((m) => m.body)).toEqual(sent.map((_, i) => `m${i + 1}`));
    const cursors = got.map((m) => Number(m.cursor));
    expect(cursors.every((c, i) => i === 0 || c > cursors[i - 1]!)).toBe(true);
    expect(receiver.hub.url).toBe(second.url);

    // The store holds each message once: the inbox read from the surviving node.
    const inbox = await new HubClient({ url: second.url, token: receiver.token }).check_inbox({
      since: '0',
      mark_read: false,
      limit: 500,
    });
    expect(inbox.messages.map((m) => m.message_id)).toEqual(sent);
  });

  it('switchboard mcp with both URLs: the first node dies, the channel pushes every message once, in order', async () => {
    const [first, second] = await twoNodes();
    const a = await first.register('mcp-a');
    const b = await first.register('mcp-b');
    await first.api('POST', '/api/v1/ops/set_delivery_settings', {
      token: b.token,
      body: { batch_window_ms: 0 },
    });
    const bridge = await startBridge({ urls: [first.url, second.url], token: b.token, home: first.home });
    bridges.push(bridge);
    const sender = new HubClient({ url: [first.url, second.url], token: a.token });

    const sent: string[] = [];
    const send = async (n: number) =>
      sent.push(
        (await sender.send_message({ to: b.id, body: `m${n}`, idempotency_key: `m${n}` })).message_id,
      );
    for (let n = 1; n <= 3; n++) await send(n);
    await expect.poll(() => idsPushed(bridge), { timeout: 15_000 }).toEqual(sent);

    await kill(first);
    for (let n = 4; n <= 10; n++) await send(n);
    await expect.poll(() => idsPushed(bridge), { timeout: 20_000 }).toEqual(sent);

    const me = await bridge.client.callTool({ name: 'whoami', arguments: {} });
    expect(me.isError).toBeFalsy();
    expect(me.structuredContent).toMatchObject({ agent: { agent_id: b.id } });
    const unread = async () =>
      (await new HubClient({ url: second.url, token: b.token }).check_inbox({ mark_read: false })).messages
        .length;
    await expect.poll(unread, { timeout: 10_000 }).toBe(0);
  });

  it('a node process killed with SIGKILL mid-stream: nothing acknowledged is lost or doubled', async () => {
    const db = await createTestDatabase();
    dbs.push(db);
    const doomed = await nodeProcess(db.url);
    const survivor = await startTestHub({ db: db.url });
    hubs.push(survivor);
    const urls = [doomed.url, survivor.url];
    const reconnect = { initialDelayMs: 50, maxDelayMs: 300 };
    const receiver = new AgentClient({ url: urls, name: 'receiver', reconnect });
    clients.push(receiver);
    await receiver.register();
    expect(receiver.hub.url).toBe(doomed.url);
    const sender = new AgentClient({ url: urls, name: 'sender' });
    clients.push(sender);
    await sender.register();
    const got: InboxMessageView[] = [];
    await receiver.listen((m) => {
      got.push(m);
    });

    const sent: string[] = [];
    const gone = new Promise((r) => doomed.proc.once('exit', r));
    for (let n = 1; n <= TOTAL; n++) {
      if (n === KILL_AFTER) doomed.proc.kill('SIGKILL'); // with this send in flight
      sent.push((await sender.send(receiver.id, `k${n}`, { idempotency_key: `k${n}` })).message_id);
    }
    await gone;
    expect(sender.hub.url).toBe(survivor.url);
    await until(() => got.length >= TOTAL, `all ${TOTAL} messages on the receiver`);
    await new Promise((r) => setTimeout(r, 200)); // a duplicate would show up now
    expect(got.map((m) => m.message_id)).toEqual(sent);
    const cursors = got.map((m) => Number(m.cursor));
    expect(cursors.every((c, i) => i === 0 || c > cursors[i - 1]!)).toBe(true);

    // Handled messages are marked read on the survivor (a mark lost with the node is sent again).
    await receiver.close();
    const inbox = await new HubClient({ url: survivor.url, token: receiver.token }).check_inbox({
      since: '0',
      mark_read: false,
      limit: 500,
    });
    expect(inbox.messages.map((m) => m.message_id)).toEqual(sent);
    expect(inbox.messages.filter((m) => m.read_at === null)).toEqual([]);
  });
});
