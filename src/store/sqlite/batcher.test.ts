import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agentRecord } from '../../../test/helpers/agent-record.js';
import { newMessage } from '../../../test/helpers/new-message.js';
import type { NewMessage } from '../types.js';
import { WriteBatcher } from './batcher.js';
import { SqliteStore } from './index.js';
import { openDatabase } from './open.js';

let dir: string;
let store: SqliteStore;

const agent = (id: string) => agentRecord(id, new Date().toISOString(), { name: id, project: 'default' });

const message = (i: number, extra: Partial<NewMessage> = {}) =>
  newMessage(`msg_${String(i).padStart(6, '0')}`, { body: `hello ${i}`, threadId: `msg_${i}`, ...extra });

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-store-'));
  store = new SqliteStore(join(dir, 'hub.db'));
  await store.createAgent(agent('a'));
  await store.createAgent(agent('b'));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('group commit', () => {
  it('commits many concurrent sends in few transactions, every one stored once, in order', async () => {
    const before = store.batcher.stats.batches;
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => store.insertMessage(message(i))));
    expect(store.batcher.stats.batches - before).toBeLessThan(10);
    const cursors = results.map((r) => r.deliveries[0].cursor);
    expect([...cursors].sort((x, y) => x - y)).toEqual(cursors);
    const inbox = await store.listInbox('b', { limit: 1000, now: new Date().toISOString() });
    expect(inbox.map((e) => e.message.id)).toEqual(results.map((r) => r.message.id));
  });

  it('rolls back only the failing write of a batch', async () => {
    const outcomes = await Promise.allSettled([
      store.insertMessage(message(1)),
      store.insertMessage(message(1)), // same id: unique constraint fails
      store.insertMessage(message(2)),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const inbox = await store.listInbox('b', { limit: 10, now: new Date().toISOString() });
    expect(inbox.map((e) => e.message.id)).toEqual(['msg_000001', 'msg_000002']);
  });

  it('stores a message with an idempotency key once, even when both sends share a batch', async () => {
    const [first, second] = await Promise.all([
      store.insertMessage(message(1, { idempotencyKey: 'k1' })),
      store.insertMessage(message(2, { idempotencyKey: 'k1' })),
    ]);
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);
    expect(second.message.id).toBe(first.message.id);
    const inbox = await store.listInbox('b', { limit: 10, now: new Date().toISOString() });
    expect(inbox).toHaveLength(1);
  });

  it('keeps everything across a reopen of the file', async () => {
    await store.insertMessage(message(7));
    await store.close();
    store = new SqliteStore(join(dir, 'hub.db'));
    const inbox = await store.listInbox('b', { limit: 10, now: new Date().toISOString() });
    expect(inbox.map((e) => e.message.body)).toEqual(['hello 7']);
  });

  it('finds committed messages by full text at once, whatever the terms hold', async () => {
    await store.insertMessage(message(1, { body: 'deploy the frontend', subject: 'release' }));
    await store.insertMessage(message(2, { body: 'unrelated' }));
    expect((await store.searchMessages(['frontend'], null, 10)).map((m) => m.id)).toEqual(['msg_000001']);
    expect((await store.searchMessages(['RELEASE'], 'b', 10)).map((m) => m.id)).toEqual(['msg_000001']);
    expect((await store.searchMessages(['deploy', 'release'], 'a', 10)).map((m) => m.id)).toEqual([
      'msg_000001',
    ]);
    // Terms are always plain text to FTS5, even ones the domain would never pass on.
    for (const terms of [['"unbalanced', 'AND', '('], ['NEAR(deploy', '*'], ['who:', 'p61'], ['"'], []]) {
      expect(await store.searchMessages(terms, null, 10)).toEqual([]);
    }
    expect(await store.searchMessages(['frontend'], 'nobody', 10)).toEqual([]);
  });

  it('keeps who took part in each thread: senders and recipients, nobody else', async () => {
    await store.insertMessage(message(1, { threadId: 't1', recipients: ['b', 'c'] }));
    expect(await store.isThreadParticipant('t1', 'a')).toBe(true);
    expect(await store.isThreadParticipant('t1', 'c')).toBe(true);
    expect(await store.isThreadParticipant('t1', 'd')).toBe(false);
    expect(await store.isThreadParticipant('t2', 'a')).toBe(false);
    expect(await store.threadExists('t1')).toBe(true);
    expect(await store.threadExists('t2')).toBe(false);
  });
});

describe('group commit of a backlog', () => {
  /** A real file with one table, written through a WriteBatcher of its own (at most 8 writes a transaction). */
  const CAP = 8;
  let db: Database.Database;
  let reader: Database.Database;
  let batcher: WriteBatcher;
  const write = (n: number) => () => db.prepare('INSERT INTO t (n) VALUES (?)').run(n).lastInsertRowid;
  const committed = () =>
    (reader.prepare('SELECT n FROM t ORDER BY rowid').all() as Array<{ n: number }>).map((r) => r.n);

  beforeEach(() => {
    db = openDatabase(join(dir, 'slices.db'));
    db.exec('CREATE TABLE t (n INTEGER NOT NULL UNIQUE)');
    // A second connection sees only what has committed.
    reader = new Database(join(dir, 'slices.db'), { readonly: true });
    batcher = new WriteBatcher(db, undefined, CAP);
  });
  afterEach(() => {
    batcher.close();
    reader.close();
    db.close();
  });

  it('commits a queue longer than the cap in slices, in queue order, the event loop turning in between', async () => {
    const total = CAP * 3 + 5;
    // What another callback on the event loop sees while the backlog is written.
    const seenBetween: number[] = [];
    let done = false;
    const tick = () => {
      if (done) return;
      seenBetween.push(committed().length);
      setImmediate(tick);
    };
    const acks: Array<{ n: number; visible: number[] }> = [];
    const writes = Array.from({ length: total }, (_, n) =>
      batcher.run(write(n)).then(() => acks.push({ n, visible: committed() })),
    );
    setImmediate(tick);
    await Promise.all(writes);
    done = true;
    // Other work ran while part of the backlog was committed (without the cap: only 0 or all of it).
    expect(seenBetween.some((c) => c > 0 && c < total)).toBe(true);
    expect(batcher.stats.batches).toBe(Math.ceil(total / CAP));
    // Stored and acknowledged in the order queued; each ack after its own write was visible to another connection.
    expect(committed()).toEqual(Array.from({ length: total }, (_, n) => n));
    expect(acks.map((a) => a.n)).toEqual(Array.from({ length: total }, (_, n) => n));
    for (const a of acks) expect(a.visible).toContain(a.n);
  });

  it('rolls back only the failing write of a later slice, and writes queued meanwhile follow the backlog', async () => {
    const first = Array.from({ length: CAP * 2 }, (_, n) => batcher.run(write(n)));
    const failing = batcher.run(write(3)); // UNIQUE: fails in the third slice
    const after = batcher.run(write(100));
    const late = Promise.resolve().then(() => batcher.run(write(101)));
    const outcomes = await Promise.allSettled([...first, failing, after, late]);
    expect(outcomes.map((o) => o.status)).toEqual([
      ...first.map(() => 'fulfilled'),
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    expect(committed()).toEqual([...Array.from({ length: CAP * 2 }, (_, n) => n), 100, 101]);
  });

  it('commits the whole queue on close', async () => {
    const writes = Array.from({ length: CAP * 2 + 1 }, (_, n) => batcher.run(write(n)));
    batcher.close();
    await Promise.all(writes);
    expect(committed()).toHaveLength(CAP * 2 + 1);
    await expect(batcher.run(write(999))).rejects.toThrow('store is closed');
  });
});

describe('writes apart', () => {
  /** A real file with two tables, written through a WriteBatcher of its own; a reader sees commits only. */
  let db: Database.Database;
  let reader: Database.Database;
  let batcher: WriteBatcher;
  const write = (n: number) => () => db.prepare('INSERT INTO t (n) VALUES (?)').run(n).lastInsertRowid;
  const rollup = (n: number) => () => db.prepare('INSERT INTO r (n) VALUES (?)').run(n).lastInsertRowid;
  const committed = (table = 't') =>
    (reader.prepare(`SELECT n FROM ${table} ORDER BY rowid`).all() as Array<{ n: number }>).map((r) => r.n);

  beforeEach(() => {
    db = openDatabase(join(dir, 'apart.db'));
    db.exec('CREATE TABLE t (n INTEGER NOT NULL UNIQUE); CREATE TABLE r (n INTEGER NOT NULL UNIQUE)');
    reader = new Database(join(dir, 'apart.db'), { readonly: true });
    batcher = new WriteBatcher(db);
  });
  afterEach(() => {
    batcher.close();
    reader.close();
    db.close();
  });

  it('commits a write apart in its own transaction, never with other writes, in the order queued', async () => {
    const order: string[] = [];
    const seen: Array<{ what: string; t: number[]; r: number[] }> = [];
    const note = (what: string) => () => {
      order.push(what);
      seen.push({ what, t: committed('t'), r: committed('r') });
    };
    const all = [
      batcher.run(write(1)).then(note('t1')),
      batcher.runApart(rollup(1)).then(note('r1')),
      batcher.run(write(2)).then(note('t2')),
      batcher.runApart(rollup(2)).then(note('r2')),
      batcher.run(write(3)).then(note('t3')),
    ];
    await Promise.all(all);
    // The other writes went first and were acked before any write apart committed.
    expect(order).toEqual(['t1', 't2', 't3', 'r1', 'r2']);
    for (const s of seen.slice(0, 3)) expect(s.r).toEqual([]);
    expect(seen[3]).toEqual({ what: 'r1', t: [1, 2, 3], r: [1] });
    expect(seen[4]).toEqual({ what: 'r2', t: [1, 2, 3], r: [1, 2] });
    expect(batcher.stats.apart).toBe(2);
  });

  it('lets other writes go first at most once, so writes apart keep up under a steady stream', async () => {
    let stop = false;
    let n = 0;
    const stream = (async () => {
      // A stream that always has a write queued when a write apart's turn comes.
      while (!stop) await Promise.all([batcher.run(write(n++)), batcher.run(write(n++))]);
    })();
    for (let i = 0; i < 5; i++) await batcher.runApart(rollup(i));
    stop = true;
    await stream;
    expect(committed('r')).toEqual([0, 1, 2, 3, 4]);
    expect(committed('t')).toHaveLength(n);
  });

  it('fails only the write apart that throws, and commits the rest', async () => {
    const outcomes = await Promise.allSettled([
      batcher.runApart(rollup(1)),
      batcher.runApart(rollup(1)), // UNIQUE
      batcher.run(write(1)),
      batcher.runApart(rollup(2)),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(committed('r')).toEqual([1, 2]);
    expect(committed('t')).toEqual([1]);
  });

  it('commits writes apart still queued on close, and refuses new ones', async () => {
    const writes = [batcher.run(write(1)), batcher.runApart(rollup(1)), batcher.runApart(rollup(2))];
    batcher.close();
    await Promise.all(writes);
    expect(committed('t')).toEqual([1]);
    expect(committed('r')).toEqual([1, 2]);
    await expect(batcher.runApart(rollup(3))).rejects.toThrow('store is closed');
  });
});
