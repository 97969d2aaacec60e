/**
 * The cluster bus on a real PostgreSQL: two (or three) nodes on one database, each with its own pool
 * and LISTEN connection. Events cross once, never come back to their origin, are batched per tick,
 * survive a killed LISTEN connection, and a transaction that commits late is not skipped.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import pg from 'pg';
import { inject } from 'vitest';
import { channels } from '../src/bus/bus.js';
import { BUS_NOTIFY_CHANNEL, ClusterBus } from '../src/bus/cluster.js';
import type { HubEvent } from '../src/bus/events.js';
import { HubError } from '../src/core/errors.js';
import { Timers } from '../src/core/timers.js';
import { NodeCalls } from '../src/domain/cluster/node-calls.js';
import { PostgresStore } from '../src/store/postgres/index.js';
import { createTestDatabase, hasPostgres, type TestDatabase } from './helpers/postgres.js';

const event = (n: number): HubEvent => ({
  type: 'topic.subscribed',
  at: new Date(0).toISOString(),
  agent_id: `agent-${n}`,
  topic: `t${n}`,
});
/** Waits for a condition the bus brings about (generously: a busy machine delays, never loses). */
const eventually = (check: () => void) => vi.waitFor(check, { timeout: 15_000, interval: 20 });
const numbers = (events: HubEvent[]) => events.map((e) => Number((e as { topic: string }).topic.slice(1)));

describe.runIf(hasPostgres())('the cluster bus', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });

  let db: TestDatabase;
  const errors: string[] = [];

  async function database(): Promise<void> {
    db = await createTestDatabase();
    cleanups.push(() => db.drop());
  }

  async function node(id: string, opts: { pollMs?: number } = {}) {
    const store = await PostgresStore.open(db.url);
    cleanups.push(() => store.close());
    const timers = new Timers((job, err) => errors.push(`${job}: ${(err as Error).message}`));
    const bus = new ClusterBus(store.db, {
      nodeId: id,
      timers,
      // A long slow poll unless asked: the tests see notifications and reconnects do the work.
      pollMs: opts.pollMs ?? 60_000,
      reconnectMinMs: 20,
      onError: (what, err) => errors.push(`${what}: ${(err as Error).message}`),
    });
    await bus.start();
    cleanups.push(() => timers.stopAll());
    cleanups.push(() => bus.close());
    const heard: HubEvent[] = [];
    bus.subscribe(channels.all, (e) => heard.push(e));
    return { bus, store, heard };
  }

  it('delivers a publish on one node to the other node once, and not back to its origin', async () => {
    await database();
    const a = await node('node_a');
    const b = await node('node_b');
    const bLocal: HubEvent[] = [];
    b.bus.subscribeLocal(channels.all, (e) => bLocal.push(e));
    const bAgent: HubEvent[] = [];
    b.bus.subscribe(channels.agent('x'), (e) => bAgent.push(e));

    a.bus.publish(channels.all, event(1));
    a.bus.publish(channels.agent('x'), event(2));
    expect(numbers(a.heard)).toEqual([1]); // at once, locally

    await eventually(() => expect(numbers(b.heard)).toEqual([1]));
    await eventually(() => expect(numbers(bAgent)).toEqual([2]));
    // Both nodes read the outbox once more: still exactly once each, and none back to node a.
    await a.bus.catchUp();
    await b.bus.catchUp();
    expect(numbers(a.heard)).toEqual([1]);
    expect(numbers(b.heard)).toEqual([1]);
    expect(numbers(bAgent)).toEqual([2]);
    // subscribeLocal hears only its own node's events (effects that must happen once in the cluster).
    expect(bLocal).toEqual([]);
    b.bus.publish(channels.all, event(3));
    expect(numbers(bLocal)).toEqual([3]);
    await eventually(() => expect(numbers(a.heard)).toEqual([1, 3]));
    expect(a.bus.stats().received).toBe(1);
    expect(b.bus.stats().received).toBe(2);
    expect(errors).toEqual([]);
  });

  it('writes the publishes of one tick as one INSERT with one NOTIFY, and they arrive in order', async () => {
    await database();
    const a = await node('node_a');
    const b = await node('node_b');
    const c = await node('node_c');
    for (let i = 0; i < 300; i++) a.bus.publish(channels.all, event(i));
    await a.bus.drain();
    expect(a.bus.stats()).toMatchObject({ published: 300, batches: 1, notifies: 1, pending: 0 });
    const [{ n }] = await a.store.db.query<{ n: number }>('SELECT count(*) AS n FROM bus_events');
    expect(n).toBe(300);
    const all = Array.from({ length: 300 }, (_, i) => i);
    await eventually(() => expect(numbers(b.heard)).toEqual(all));
    await eventually(() => expect(numbers(c.heard)).toEqual(all));
    // One notification woke each reader (coalesced), however many events it announced.
    expect(b.bus.stats().wakeups).toBe(1);
    expect(errors).toEqual([]);
  });

  it('reads a backlog larger than one page in pages of one snapshot: every event once, in order', async () => {
    await database();
    const a = await node('node_a');
    const b = await node('node_b');
    const c = await node('node_c');
    // Node c's publishes are in flight too: rows of two origins, over several pages of 500.
    for (let i = 0; i < 1200; i++) a.bus.publish(channels.all, event(i));
    for (let i = 5000; i < 5300; i++) c.bus.publish(channels.all, event(i));
    await Promise.all([a.bus.drain(), c.bus.drain()]);
    await b.bus.catchUp();
    const heard = numbers(b.heard);
    expect(heard.filter((n) => n < 5000)).toEqual(Array.from({ length: 1200 }, (_, i) => i));
    expect(heard.filter((n) => n >= 5000)).toEqual(Array.from({ length: 300 }, (_, i) => 5000 + i));
    expect(b.bus.stats().received).toBe(1500);
    expect(errors).toEqual([]);
  });

  it('publishes made while a write is in flight go out together in the next one', async () => {
    await database();
    const a = await node('node_a');
    const b = await node('node_b');
    let sent = 0;
    // 20 ticks of 10 publishes: far fewer than 20 writes when they queue behind each other.
    for (let tick = 0; tick < 20; tick++) {
      for (let i = 0; i < 10; i++) a.bus.publish(channels.all, event(sent++));
      await new Promise((r) => setImmediate(r));
    }
    await a.bus.drain();
    const { batches, notifies, published } = a.bus.stats();
    expect(published).toBe(200);
    expect(notifies).toBe(batches);
    expect(batches).toBeLessThan(20);
    await eventually(() => expect(numbers(b.heard)).toEqual(Array.from({ length: 200 }, (_, i) => i)));
  });

  it('catches up after its LISTEN connection is killed: every event once, in order', async () => {
    await database();
    const a = await node('node_a');
    const b = await node('node_b');
    const pid = b.bus.listenPid;
    expect(pid).toBeTypeOf('number');
    const admin = new pg.Client({ connectionString: inject('pgServerUrl') });
    await admin.connect();
    cleanups.push(() => admin.end());

    let sent = 0;
    a.bus.publish(channels.all, event(sent++));
    await eventually(() => expect(b.heard).toHaveLength(1));
    const [{ killed }] = (
      await admin.query<{ killed: boolean }>('SELECT pg_terminate_backend($1) AS killed', [pid])
    ).rows;
    expect(killed).toBe(true);
    // Publish while b is down and while it reconnects.
    for (let tick = 0; tick < 50; tick++) {
      for (let i = 0; i < 4; i++) a.bus.publish(channels.all, event(sent++));
      await new Promise((r) => setTimeout(r, 2));
    }
    await a.bus.drain();
    await eventually(() => expect(b.bus.stats().reconnects).toBe(1));
    expect(b.bus.listenPid).not.toBe(pid);
    await eventually(() => expect(b.heard).toHaveLength(sent));
    expect(numbers(b.heard)).toEqual(Array.from({ length: sent }, (_, i) => i));
    // A killed connection is reported; nothing else went wrong.
    expect(errors.filter((e) => !e.startsWith('listen connection'))).toEqual([]);
    errors.length = 0;
  });

  it('does not skip a row whose transaction commits after later rows, nor holds the later ones back for it', async () => {
    await database();
    const a = await node('node_a');
    const b = await node('node_b');
    // Another node's outbox write (its rows and its NOTIFY, sent on commit), in a transaction left open.
    const late = new pg.Client({ connectionString: db.url });
    await late.connect();
    cleanups.push(() => late.end());
    await late.query('BEGIN');
    await late.query(`INSERT INTO bus_events (origin, channel, event) VALUES ('node_late', $1, $2)`, [
      channels.all,
      JSON.stringify(event(0)),
    ]);
    await late.query(`SELECT pg_notify($1, 'node_late')`, [BUS_NOTIFY_CHANNEL]);
    // Later transactions commit first (higher xids, and higher ids too): they arrive at once.
    a.bus.publish(channels.all, event(1));
    await a.bus.drain();
    a.bus.publish(channels.all, event(2));
    await a.bus.drain();
    await eventually(() => expect(numbers(b.heard)).toEqual([1, 2]));
    await b.bus.catchUp();
    expect(numbers(b.heard)).toEqual([1, 2]); // the open one is not visible yet
    await late.query('COMMIT');
    // Its commit wakes the readers (the slow poll is a minute here), and the row is read once.
    await eventually(() => expect(numbers(b.heard)).toEqual([1, 2, 0]));
    await a.bus.catchUp();
    await b.bus.catchUp();
    expect(numbers(a.heard)).toEqual([1, 2, 0]); // its own at once, the late one from the outbox
    expect(numbers(b.heard)).toEqual([1, 2, 0]);
    expect(errors).toEqual([]);
  });

  it('finds what a lost notification announced on its slow poll', async () => {
    await database();
    const a = await node('node_a');
    const b = await node('node_b', { pollMs: 50 });
    // Written straight into the outbox with no NOTIFY at all: only the poll can find it.
    await a.store.db.query(`INSERT INTO bus_events (origin, channel, event) VALUES ('node_x', $1, $2)`, [
      channels.all,
      JSON.stringify(event(7)),
    ]);
    await eventually(() => expect(numbers(b.heard)).toEqual([7]));
    expect(b.bus.stats().wakeups).toBe(0);
    expect(numbers(a.heard)).toEqual([]);
  });

  it('prunes old outbox rows, safely on every node at once', async () => {
    await database();
    const a = await node('node_a');
    const b = await node('node_b');
    for (let i = 0; i < 5; i++) a.bus.publish(channels.all, event(i));
    await a.bus.drain();
    await a.store.db.query(
      `UPDATE bus_events SET created_at = now() - interval '1 hour' WHERE event LIKE '%"t0"%' OR event LIKE '%"t1"%'`,
    );
    await Promise.all([a.bus.prune(), b.bus.prune(), a.bus.prune()]);
    const rows = await a.store.db.query<{ n: number }>('SELECT count(*) AS n FROM bus_events');
    expect(rows[0].n).toBe(3);
  });

  it('still delivers locally after close, and writes what was published before it', async () => {
    await database();
    const a = await node('node_a');
    const b = await node('node_b');
    a.bus.publish(channels.all, event(1));
    await a.bus.close();
    a.bus.publish(channels.all, event(2));
    expect(numbers(a.heard)).toEqual([1, 2]);
    await eventually(() => expect(numbers(b.heard)).toEqual([1]));
    expect(a.bus.stats()).toMatchObject({ published: 1, batches: 1, connected: false });
  });

  it('carries node-to-node calls between two nodes: the answer and a thrown error come back', async () => {
    await database();
    const a = await node('node_a');
    const b = await node('node_b');
    const callsA = new NodeCalls(a.bus, 'node_a');
    const callsB = new NodeCalls(b.bus, 'node_b');
    callsA.start();
    callsB.start();
    cleanups.push(() => callsA.stop());
    cleanups.push(() => callsB.stop());
    callsB.handle('echo', async (args: { n: number }) => ({ node: 'node_b', n: args.n }));
    callsB.handle('refuse', async () => {
      throw new HubError('conflict', 'no');
    });
    await expect(callsA.call('node_b', 'echo', { n: 7 }, 10_000)).resolves.toEqual({ node: 'node_b', n: 7 });
    const err = await callsA.call('node_b', 'refuse', {}, 10_000).catch((e: HubError) => e);
    expect(err).toMatchObject({ code: 'conflict', message: 'no' });
    // Calls never reach hub-wide listeners (clients): they travel on node channels only.
    expect(a.heard).toEqual([]);
    expect(b.heard).toEqual([]);
  });
});
