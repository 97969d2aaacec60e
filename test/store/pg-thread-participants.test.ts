/**
 * Thread participation on PostgreSQL (as on SQLite, src/store/sqlite/thread-participants.test.ts): a
 * thread's root message writes no `thread_participants` rows, a later message writes rows only for
 * agents the root does not name — on the node that stored the root (which remembers it) and on
 * another node (which reads it) alike, and for a root stored in the same statement — and a thread
 * without a root keeps a row for everyone. A database holding the rows written before this rule (a
 * row per participant of every message) answers every question the same.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { writeSendBatch } from '../../src/store/postgres/send-batch.js';
import { createTestDatabase, hasPostgres, type TestDatabase } from '../helpers/postgres.js';
import { threadMessage as message } from '../helpers/new-message.js';

const rows = async (store: PostgresStore) =>
  (
    await store.db.query<{ thread_id: string; agent_id: string }>(
      'SELECT thread_id, agent_id FROM thread_participants ORDER BY 1, 2',
    )
  ).map((r) => `${r.thread_id}:${r.agent_id}`);

async function participants(store: PostgresStore, thread: string, agents: string[]) {
  const out: Record<string, boolean> = {};
  for (const a of agents) out[a] = await store.isThreadParticipant(thread, a);
  return out;
}

describe.runIf(hasPostgres())('thread participants on PostgreSQL', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });
  const database = async () => {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    return db;
  };
  const open = async (db: TestDatabase) => {
    const store = await PostgresStore.open(db.url);
    cleanups.push(() => store.close());
    return store;
  };

  it('keeps rows only for agents the root does not name, on the root’s node and on another', async () => {
    const db = await database();
    const a = await open(db);
    await a.insertMessage(message('msg_root', 'a', ['b', 'c']));
    expect(await rows(a)).toEqual([]);
    await a.insertMessage(message('msg_2', 'b', ['a', 'c'], 'msg_root')); // all named by the root
    expect(await rows(a)).toEqual([]);
    await a.insertMessage(message('msg_3', 'c', ['d'], 'msg_root'));
    expect(await rows(a)).toEqual(['msg_root:d']);

    // Another node remembers nothing: it reads the root in the send statement and in its checks.
    const b = await open(db);
    await b.insertMessage(message('msg_4', 'd', ['e', 'a'], 'msg_root'));
    expect(await rows(b)).toEqual(['msg_root:d', 'msg_root:e']);
    await b.insertMessage(message('msg_5', 'b', ['c'], 'msg_root'));
    expect(await rows(b)).toEqual(['msg_root:d', 'msg_root:e']);
    const everyone = ['a', 'b', 'c', 'd', 'e', 'f'];
    const answer = { a: true, b: true, c: true, d: true, e: true, f: false };
    // The first node remembers the root without `e`, whom the other node brought in: read, not assumed.
    expect(await participants(a, 'msg_root', everyone)).toEqual(answer);
    expect(await participants(b, 'msg_root', everyone)).toEqual(answer);
    // A later message's id is no thread, not even to its sender and recipients.
    expect(await participants(a, 'msg_2', ['a', 'b', 'c'])).toEqual({ a: false, b: false, c: false });
    for (const store of [a, b]) {
      expect(await store.threadExists('msg_root')).toBe(true);
      expect(await store.threadExists('msg_2')).toBe(false);
      expect(await store.threadExists('msg_none')).toBe(false);
    }
    // A root and replies to it stored by one statement (as bulk seeding does).
    await writeSendBatch(a.db, [
      message('msg_seed', 'p', ['q']),
      message('msg_seed_2', 'q', ['p'], 'msg_seed'),
      message('msg_seed_3', 'q', ['r', 'p'], 'msg_seed'),
    ]);
    expect((await rows(a)).filter((r) => r.startsWith('msg_seed'))).toEqual(['msg_seed:r']);
    expect(await participants(b, 'msg_seed', ['p', 'q', 'r', 's'])).toEqual({
      p: true,
      q: true,
      r: true,
      s: false,
    });
    // A root with an idempotency key may be skipped as a duplicate: its batch's replies are not
    // trusted to it (a row for everyone), and every answer is the same.
    await writeSendBatch(a.db, [
      { ...message('msg_keyed', 'p', ['q']), idempotencyKey: 'k1' },
      message('msg_keyed_2', 'q', ['r'], 'msg_keyed'),
    ]);
    expect((await rows(a)).filter((r) => r.startsWith('msg_keyed'))).toEqual(['msg_keyed:q', 'msg_keyed:r']);
    expect(await participants(a, 'msg_keyed', ['p', 'q', 'r', 's'])).toEqual({
      p: true,
      q: true,
      r: true,
      s: false,
    });
  });

  it('keeps a row for everyone in a thread that has no root message', async () => {
    const store = await open(await database());
    await store.insertMessage(message('msg_1', 'a', ['b'], 'thr_elsewhere'));
    expect(await rows(store)).toEqual(['thr_elsewhere:a', 'thr_elsewhere:b']);
    expect(await participants(store, 'thr_elsewhere', ['a', 'b', 'c'])).toEqual({
      a: true,
      b: true,
      c: false,
    });
    expect(await store.threadExists('thr_elsewhere')).toBe(true);
  });

  it('answers the same from a database holding a row per participant of every message (the rows before)', async () => {
    const conversation = [
      message('msg_r1', 'a', ['b', 'c']),
      message('msg_r1_2', 'b', ['a', 'd'], 'msg_r1'),
      message('msg_r1_3', 'd', ['e'], 'msg_r1'),
      message('msg_r2', 'c', ['c']),
      message('msg_x1', 'a', ['f'], 'thr_rootless'),
    ];
    const fresh = await open(await database());
    const old = await open(await database());
    for (const m of conversation) {
      await fresh.insertMessage(m);
      await old.insertMessage(m);
    }
    // What the earlier writer left: a row for the sender and each recipient of every message.
    await old.db.query(`INSERT INTO thread_participants (thread_id, agent_id)
      SELECT thread_id, from_agent FROM messages
      UNION SELECT thread_id, jsonb_array_elements_text(recipients::jsonb) FROM messages
      ON CONFLICT DO NOTHING`);
    expect((await rows(old)).length).toBe(8);
    expect((await rows(fresh)).length).toBe(4); // msg_r1: d, e; thr_rootless: a, f

    const threads = ['msg_r1', 'msg_r1_2', 'msg_r2', 'thr_rootless', 'msg_none'];
    const agents = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const answers = async (store: PostgresStore) => {
      const out: Record<string, unknown> = {};
      for (const t of threads) {
        out[t] = { exists: await store.threadExists(t), ...(await participants(store, t, agents)) };
      }
      return out;
    };
    const expected = await answers(fresh);
    expect(expected.msg_r1).toEqual({
      exists: true,
      a: true,
      b: true,
      c: true,
      d: true,
      e: true,
      f: false,
      g: false,
    });
    expect(expected.msg_r2).toEqual({
      exists: true,
      a: false,
      b: false,
      c: true,
      d: false,
      e: false,
      f: false,
      g: false,
    });
    expect(expected.msg_r1_2).toMatchObject({ exists: false, a: false, b: false, d: false });
    expect(expected.thr_rootless).toMatchObject({ exists: true, a: true, f: true, b: false });
    // The writing node (roots remembered) and a node that remembers nothing, on the old rows.
    expect(await answers(old)).toEqual(expected);
    const oldPeer = await open({ url: old.db.url } as TestDatabase);
    expect(await answers(oldPeer)).toEqual(expected);

    // Writing on: a reply among the root's participants adds nothing to the old rows, a newcomer one row.
    await oldPeer.insertMessage(message('msg_r1_4', 'c', ['a', 'b'], 'msg_r1'));
    await oldPeer.insertMessage(message('msg_r1_5', 'a', ['g'], 'msg_r1'));
    expect((await rows(old)).length).toBe(9);
    expect(await rows(old)).toContain('msg_r1:g');
  });
});
