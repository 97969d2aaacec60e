/**
 * Failover under load: three hub nodes on one PostgreSQL database (two `switchboard serve` child
 * processes and one hub in this process). Senders keep up a steady stream of messages, each send from
 * a client that lists every node URL (starting at a different node each time, so sends land on all
 * three) and carries an idempotency key. One child node is killed with SIGKILL five times at random
 * moments and restarted on its port after each kill, so there are always survivors. A listening
 * receiver follows its inbox live over a WebSocket that fails over too.
 *
 * Afterwards every acknowledged message is in its recipient's inbox exactly once, each sender's
 * messages in the order they were acknowledged (cursor order), and the live receiver got each of its
 * messages once, in cursor order. The kill moments come from a seeded random (the seed is printed;
 * SWITCHBOARD_TEST_SEED=<seed> replays them). The hub runs from dist/: needs `npm run build`.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentClient, HubClient, type InboxMessageView } from '../src/client/index.js';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { createTestDatabase, hasPostgres, type TestDatabase } from './helpers/postgres.js';
import { until } from './helpers/wait.js';
import { type NodeProcess, startNodeProcess } from './helpers/node-process.js';

const ADMIN_TOKEN = 'cluster-failover-load-admin-token';

const hubs: TestHub[] = [];
const clients: AgentClient[] = [];
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
  for (const c of clients.splice(0)) await c.close().catch(() => {});
  for (const h of hubs.splice(0)) await h.close().catch(() => {});
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
  for (const db of dbs.splice(0)) await db.drop();
});

/** A small seeded random (mulberry32): the same seed gives the same kill moments. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `switchboard serve` as its own process on `home` (and `port`, 0 for any); resolves once it listens. */
function nodeProcess(db: string, home: string, port = 0): Promise<NodeProcess> {
  return startNodeProcess({
    db,
    home,
    port,
    env: { SWITCHBOARD_ADMIN_TOKEN: ADMIN_TOKEN },
    track: (proc) => children.push(proc),
  });
}

const KILLS = 5;
const SENDERS = 4;

describe.runIf(hasPostgres())('failover under load: one node killed five times', () => {
  it('every acknowledged send is in its inbox exactly once, in order; the live receiver got each once', async () => {
    const seed = Number(process.env.SWITCHBOARD_TEST_SEED ?? Date.now() % 2 ** 31);
    console.log(`cluster-failover-load seed: ${seed} (replay with SWITCHBOARD_TEST_SEED=${seed})`);
    const random = seeded(seed);

    const db = await createTestDatabase();
    dbs.push(db);
    const doomedHome = mkdtempSync(join(tmpdir(), 'switchboard-doomed-'));
    const steadyHome = mkdtempSync(join(tmpdir(), 'switchboard-steady-'));
    homes.push(doomedHome, steadyHome);
    let doomed = await nodeProcess(db.url, doomedHome);
    const steady = await nodeProcess(db.url, steadyHome);
    const local = await startTestHub({ db: db.url, adminToken: ADMIN_TOKEN, rateLimit: { enabled: false } });
    hubs.push(local);
    const port = Number(new URL(doomed.url).port);
    const urls = [doomed.url, steady.url, local.url];
    /** The node list starting at node `i % 3`: every client knows every node. */
    const from = (i: number) => [...urls.slice(i % 3), ...urls.slice(0, i % 3)];

    const receivers = [await local.register('receiver-0'), await local.register('receiver-1')];
    const senders = await Promise.all(
      Array.from({ length: SENDERS }, (_, i) => local.register(`sender-${i}`)),
    );
    // receiver-0 also listens live, over a WebSocket on the doomed node first.
    const live = new AgentClient({
      url: urls,
      token: receivers[0]!.token,
      reconnect: { initialDelayMs: 50, maxDelayMs: 300 },
    });
    clients.push(live);
    const got: InboxMessageView[] = [];
    await live.listen((m) => {
      got.push(m);
    });

    // The stream of sends: each sender sends one at a time, to the two receivers in turn.
    type Sent = { id: string; to: string; from: string; n: number };
    const acknowledged: Sent[] = [];
    let retries = 0;
    /** Sends started on the doomed node and not answered yet: a kill now cuts them off mid-request. */
    const onDoomed = new Set<string>();
    let cutOff = 0;
    let stop = false;
    const sending = senders.map(async (s, si) => {
      for (let n = 0; !stop; n++) {
        const to = receivers[n % 2]!.id;
        const key = `s${si}-${n}`;
        for (let attempt = 0; ; attempt++) {
          const list = from(si + n + attempt);
          const client = new HubClient({ url: list, token: s.token });
          if (list[0] === urls[0]) onDoomed.add(key);
          try {
            const r = await client.send_message({ to, body: key, idempotency_key: key });
            acknowledged.push({ id: r.message_id, to, from: s.id, n });
            break;
          } catch (err) {
            // Every node this client tried failed; a real caller repeats with the same key.
            retries++;
            if (attempt > 50) throw err;
          } finally {
            onDoomed.delete(key);
          }
        }
      }
    });
    const failed = Promise.all(sending).then(
      () => undefined,
      (err: unknown) => err,
    );

    for (let k = 0; k < KILLS; k++) {
      // Some traffic after each (re)start, then a random moment within the next 0.1–0.8 s.
      const mark = acknowledged.length;
      const t1 = Date.now();
      await until(`sends after restart ${k}`, () => acknowledged.length >= mark + 20, 20_000);
      console.log(`20 sends took ${Date.now() - t1} ms`);
      const delay = 100 + Math.floor(random() * 700);
      await new Promise((r) => setTimeout(r, delay));
      const gone = new Promise((r) => doomed.proc.once('exit', r));
      doomed.proc.kill('SIGKILL');
      cutOff += onDoomed.size;
      await gone;
      const t0 = Date.now();
      doomed = await nodeProcess(db.url, doomedHome, port);
      console.log(`restart took ${Date.now() - t0} ms`);
      console.log(`kill ${k + 1} after ${delay} ms; ${acknowledged.length} acknowledged so far`);
    }
    const mark = acknowledged.length;
    await until('sends after the last restart', () => acknowledged.length >= mark + 20, 20_000);
    stop = true;
    expect(await failed).toBeUndefined();
    console.log(
      `cluster-failover-load: ${acknowledged.length} sends acknowledged; ${cutOff} were in flight on the ` +
        `killed node when it died; ${retries} failed on every node and were repeated`,
    );
    // The kills hit traffic: sends were cut off mid-request (and went on elsewhere).
    expect(cutOff).toBeGreaterThan(0);

    // Every acknowledged message, once, in each inbox; each sender's in the order acknowledged.
    for (const r of receivers) {
      const inbox: InboxMessageView[] = [];
      const client = new HubClient({ url: local.url, token: r.token });
      for (;;) {
        const since = inbox.length ? String(inbox[inbox.length - 1]!.cursor) : '0';
        const page = await client.check_inbox({ since, mark_read: false, limit: 500 });
        if (page.messages.length === 0) break;
        inbox.push(...page.messages);
      }
      const mine = acknowledged.filter((a) => a.to === r.id);
      expect(inbox.map((m) => m.message_id).sort()).toEqual(mine.map((a) => a.id).sort());
      expect(new Set(inbox.map((m) => m.message_id)).size).toBe(inbox.length);
      const cursors = inbox.map((m) => Number(m.cursor));
      expect(cursors).toEqual(Array.from({ length: cursors.length }, (_, i) => i + 1));
      for (const s of senders) {
        const sentOrder = mine.filter((a) => a.from === s.id).map((a) => a.id);
        expect(inbox.filter((m) => m.from === s.id).map((m) => m.message_id)).toEqual(sentOrder);
      }
      if (r === receivers[0]) {
        // The live receiver: each message once, in cursor order.
        await until('the live receiver to get every message', () => got.length >= inbox.length, 20_000);
        expect(got.map((m) => m.message_id)).toEqual(inbox.map((m) => m.message_id));
      }
    }
  }, 120_000);
});
