/**
 * A reader never skips a late-committing send. Two hub nodes on one PostgreSQL database; the
 * recipient reads on node 1 (a WebSocket, a blocked wait_for_messages and plain inbox reads) and has
 * read up to its newest cursor. Then a send's transaction is held open: the very send code the store
 * runs (`PgMessages.insert`) on a connection this test controls, so it has taken the next cursor and
 * holds the recipient's inbox head row lock, but has not committed. Later sends to the same recipient
 * go through node 2 meanwhile. They must not become visible past the held one: the reader sees
 * nothing new while it is held, and once it commits, every reader gets the held message first and
 * then the later ones, each once, in cursor order. If the held send rolls back instead, the later
 * sends take its place with no gap, and readers get them all.
 */
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { iso } from '../src/core/time.js';
import { newId } from '../src/core/ids.js';
import { PgDatabase } from '../src/store/postgres/database.js';
import { PgMessages } from '../src/store/postgres/messages.js';
import { hubPerTest, type TestHub } from './helpers/hub.js';
import { pushesTo } from './helpers/ws-pushes.js';
import { createTestDatabase, hasPostgres, messagesOnClient, type TestDatabase } from './helpers/postgres.js';
import { until, withDeadline } from './helpers/wait.js';

const sockets: WebSocket[] = [];
const databases: PgDatabase[] = [];
const hubs = hubPerTest(async () => {
  for (const ws of sockets.splice(0)) ws.close();
  for (const d of databases.splice(0)) await d.close();
});

type Agent = { id: string; token: string };

describe.runIf(hasPostgres())('a late-committing send across hub nodes', () => {
  const dbs: TestDatabase[] = [];
  afterAll(async () => {
    for (const db of dbs.splice(0)) await db.drop();
  });

  async function setup() {
    const db = await createTestDatabase();
    dbs.push(db);
    const config = { db: db.url, rateLimit: { enabled: false } };
    const one = await hubs.start(config);
    const two = await hubs.start(config);
    const direct = new PgDatabase(db.url, { max: 3 });
    databases.push(direct);
    const sender = await two.register('sender');
    const receiver = await one.register('receiver');
    return { one, two, direct, sender, receiver };
  }

  const socket = (t: TestHub, agent: { id: string; token: string }) => pushesTo(t.url, agent, sockets);

  const send = (t: TestHub, from: Agent, to: string, body: string) =>
    t.api('POST', '/api/v1/messages', { token: from.token, body: { to, body } });

  const inboxAfter = async (t: TestHub, who: Agent, since: number) => {
    const r = await t.api('GET', `/api/v1/messages?since=${since}&limit=500&mark_read=false`, {
      token: who.token,
    });
    expect(r.status).toBe(200);
    return r.body.messages.map((m: { message_id: string; cursor: string | number }) => ({
      id: m.message_id,
      cursor: Number(m.cursor),
    })) as Array<{ id: string; cursor: number }>;
  };

  /**
   * Begins a send of `sender` to `receiver` with the store's own insert on a connection of its own,
   * and returns with its transaction still open (its cursor taken, the inbox head row locked).
   */
  async function holdASend(direct: PgDatabase, sender: Agent, receiver: Agent) {
    const messages = new PgMessages(direct);
    const template = (await direct.query<{ id: string }>('SELECT id FROM messages ORDER BY seq LIMIT 1'))[0]!;
    const { seq: _, ...like } = (await messages.get(template.id))!;
    const client = await direct.pool.connect();
    await client.query('BEGIN');
    // The store's send statement, run in this open transaction instead of committing on its own.
    const held = messagesOnClient(direct, client);
    const id = newId('msg');
    const result = await held.insert({
      ...like,
      id,
      from: sender.id,
      to: receiver.id,
      recipients: [receiver.id],
      body: 'held',
      threadId: newId('thr'),
      idempotencyKey: null,
      createdAt: iso(Date.now()),
    });
    return {
      id,
      cursor: result.deliveries[0]!.cursor,
      end: async (how: 'COMMIT' | 'ROLLBACK') => {
        await client.query(how);
        client.release();
      },
    };
  }

  /**
   * Send statements waiting for a row lock on the database (held up behind the open transaction).
   * A node writes the sends that arrive together as one statement, and only a couple of statements
   * at once, so the later sends show as at least one waiting statement (the rest queue behind it).
   */
  const waitingOnLocks = async (direct: PgDatabase) =>
    (
      await direct.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      )
    )[0]!.n;

  it('later sends wait behind the held one; readers get it first, then the rest, once each', async () => {
    const { one, two, direct, sender, receiver } = await setup();
    const ws = await socket(one, receiver);
    for (let i = 1; i <= 3; i++)
      expect((await send(two, sender, receiver.id, `early ${i}`)).status).toBe(200);
    await until('the reader to have read up to the newest cursor', () => ws.length === 3);
    expect(ws.map((m) => m.cursor)).toEqual([1, 2, 3]);

    const held = await holdASend(direct, sender, receiver);
    expect(held.cursor).toBe(4);
    // A reader blocked on node 1 after cursor 3.
    const waiting = one.api('GET', '/api/v1/messages/wait?since=3&timeout_seconds=30', {
      token: receiver.token,
    });
    const LATER = 5;
    const later = Promise.all(
      Array.from({ length: LATER }, (_, i) => send(two, sender, receiver.id, `later ${i + 1}`)),
    );
    await until(
      'the later sends to wait on the held inbox head',
      async () => (await waitingOnLocks(direct)) >= 1,
    );
    // Nothing past cursor 3 is visible while the send is held: no later message overtakes it.
    expect(await inboxAfter(one, receiver, 3)).toEqual([]);
    expect(ws).toHaveLength(3);

    await held.end('COMMIT');
    const sent = await withDeadline('the later sends', later);
    expect(sent.map((r) => r.status)).toEqual(Array(LATER).fill(200));

    const inbox = await inboxAfter(one, receiver, 3);
    expect(inbox.map((m) => m.cursor)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(inbox[0]!.id).toBe(held.id);
    expect(new Set(inbox.slice(1).map((m) => m.id))).toEqual(new Set(sent.map((r) => r.body.message_id)));

    const woken = await withDeadline('wait_for_messages on node 1', waiting);
    expect(woken.body.timed_out).toBe(false);
    expect(woken.body.messages[0].message_id).toBe(held.id);

    // The held message had no live event of its own: the socket read it from the store when the
    // next cursor arrived, and delivered it first.
    await until('the socket to get every message', () => ws.length >= 9);
    expect(ws.map((m) => m.cursor)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(ws.slice(3)).toEqual(inbox);
  });

  it('a held send that rolls back leaves no gap: later sends take its place and are all read', async () => {
    const { one, two, direct, sender, receiver } = await setup();
    const ws = await socket(one, receiver);
    expect((await send(two, sender, receiver.id, 'early')).status).toBe(200);
    await until('the reader to have read up to the newest cursor', () => ws.length === 1);

    const held = await holdASend(direct, sender, receiver);
    expect(held.cursor).toBe(2);
    const LATER = 4;
    const later = Promise.all(
      Array.from({ length: LATER }, (_, i) => send(two, sender, receiver.id, `later ${i + 1}`)),
    );
    await until(
      'the later sends to wait on the held inbox head',
      async () => (await waitingOnLocks(direct)) >= 1,
    );
    await held.end('ROLLBACK');
    const sent = await withDeadline('the later sends', later);

    const inbox = await inboxAfter(one, receiver, 1);
    expect(inbox.map((m) => m.cursor)).toEqual([2, 3, 4, 5]);
    expect(new Set(inbox.map((m) => m.id))).toEqual(new Set(sent.map((r) => r.body.message_id)));
    await until('the socket to get every message', () => ws.length >= 5);
    expect(ws.slice(1)).toEqual(inbox);
    expect(ws.map((m) => m.id)).not.toContain(held.id);
  });
});
