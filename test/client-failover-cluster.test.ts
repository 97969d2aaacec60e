/**
 * Failover between two live hub nodes on one PostgreSQL database: an `AgentClient` (and the stdio
 * bridge `switchboard mcp`) given both URLs keeps working when the first node is closed in the middle
 * of a stream of sends. Sends carry idempotency keys, so one whose answer was lost is repeated on the
 * other node and still stored once; the receiver's live stream resumes on the other node from its
 * cursor. Afterwards every message is in the inbox exactly once, and the receiver got each exactly
 * once, in cursor order.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { InboxMessageView } from '../src/client/index.js';
import { AgentClient, HubClient } from '../src/client/index.js';
import { type Bridge, idsPushed, startBridge } from './helpers/bridge-session.js';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { createTestDatabase, hasPostgres, type TestDatabase } from './helpers/postgres.js';

const hubs: TestHub[] = [];
const clients: AgentClient[] = [];
const bridges: Bridge[] = [];
const dbs: TestDatabase[] = [];

afterEach(async () => {
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

    await until(() => got.length >= TOTAL, `all ${TOTAL} messages on the receiver`);
    await new Promise((r) => setTimeout(r, 200)); // a duplicate would show up now
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
});
