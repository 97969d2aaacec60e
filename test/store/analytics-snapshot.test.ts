/**
 * An analytics rebuild reads the log of one moment (PostgreSQL). Message sequence numbers come from
 * a sequence, which is not commit-ordered: a send that took seq 3 can commit after seq 4 did. A
 * rebuild paging by seq that read "up to 4" before that commit, then "after 4", would never see
 * seq 3, and would count a set of messages that never existed at any one moment. Here a send's
 * transaction is held open (the store's own insert on a connection the test controls) while later
 * sends commit; between two pages of one `readLog` it commits and another send follows. The pages
 * hold exactly what had committed when the first was read; the next `readLog` holds everything.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PgDatabase } from '../../src/store/postgres/database.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import type { NewMessage } from '../../src/store/types.js';
import { agentRecord } from '../helpers/agent-record.js';
import { createTestDatabase, hasPostgres, messagesOnClient } from '../helpers/postgres.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

const agent = (id: string) => agentRecord(id, iso(T0), { name: id });

const message = (id: string, to = 'ag_r'): NewMessage => ({
  id,
  from: 'ag_s',
  to,
  type: 'message',
  subject: null,
  body: { text: id },
  threadId: id,
  replyTo: null,
  correlationId: null,
  importance: 'normal',
  ackRequired: false,
  project: 'p1',
  createdAt: iso(T0),
  expiresAt: null,
  idempotencyKey: null,
  recipients: [to],
  sentByAdmin: false,
});

describe.runIf(hasPostgres())('analytics rebuild log reads [postgres]', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });

  it('pages through one snapshot: a send committing late is in no page, nor is one after it', async () => {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    const store = await PostgresStore.open(db.url);
    cleanups.push(() => store.close());
    const direct = new PgDatabase(db.url, { max: 2 });
    cleanups.push(() => direct.close());
    for (const id of ['ag_s', 'ag_r', 'ag_o']) await store.createAgent(agent(id));

    await store.insertMessage(message('m1'));
    await store.insertMessage(message('m2'));
    // The store's own insert, in a transaction left open: it has taken the next seq.
    const client = await direct.pool.connect();
    cleanups.push(() => client.release());
    await client.query('BEGIN');
    const held = messagesOnClient(direct, client);
    await held.insert(message('late'));
    // A later send to another inbox commits meanwhile, with a higher seq.
    await store.insertMessage(message('m4', 'ag_o'));

    const a = store.analytics;
    const pages: string[][] = [];
    await a.readLog(async (log) => {
      const first = await log.scanMessages(0, 3);
      pages.push(first.map((m) => m.id));
      // Between the pages: the held send commits (below the page's last seq), another one follows.
      await client.query('COMMIT');
      await store.insertMessage(message('m5'));
      expect((await a.scanMessages(0, 10)).map((m) => m.id)).toEqual(['m1', 'm2', 'late', 'm4', 'm5']);
      pages.push((await log.scanMessages(first.at(-1)!.seq, 10)).map((m) => m.id));
    });
    // Paging by seq outside a snapshot would give m5 and never `late`: a state that never was.
    expect(pages).toEqual([['m1', 'm2', 'm4'], []]);

    const all = await a.readLog((log) => log.scanMessages(0, 10));
    expect(all.map((m) => m.id)).toEqual(['m1', 'm2', 'late', 'm4', 'm5']);
    expect(all.every((m, i) => i === 0 || m.seq > all[i - 1]!.seq)).toBe(true);
  });
});
