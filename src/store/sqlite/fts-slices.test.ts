/**
 * The background search-index catch-up works in slices and yields between them (a second's backlog
 * indexed at once held the event loop for tens of milliseconds), and still indexes every message
 * exactly once; a search in between sees everything committed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FTS_SLICE } from './fts.js';
import { SqliteStore } from './index.js';

let dir: string;
let store: SqliteStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sb-fts-slices-'));
  store = new SqliteStore(join(dir, 'hub.db'));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `count` committed messages from a to b, none indexed yet; every body holds "harbour". */
function addMessages(count: number): void {
  const insert = store.db
    .prepare(`INSERT INTO messages (id, from_agent, to_spec, type, subject, body, thread_id,
    importance, ack_required, project, created_at, recipients)
    VALUES (?, 'a', '"b"', 'message', NULL, ?, ?, 'normal', 0, 'default', '2026-01-01T00:00:00.000Z', '["b"]')`);
  const deliver = store.db.prepare("INSERT INTO deliveries (agent_id, message_seq) VALUES ('b', ?)");
  store.db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const id = `msg_${String(i).padStart(6, '0')}`;
      const seq = insert.run(id, JSON.stringify(`harbour note ${i}`), id).lastInsertRowid;
      deliver.run(seq);
    }
  })();
}

const indexedSeq = () =>
  (store.db.prepare('SELECT indexed_seq FROM fts_progress WHERE id = 1').get() as { indexed_seq: number })
    .indexed_seq;
const indexedRows = () =>
  (store.db.prepare('SELECT COUNT(*) AS n FROM messages_search').get() as { n: number }).n;

describe('the search index job', () => {
  it('indexes a backlog in slices, letting the event loop run between them, and misses nothing', async () => {
    const total = FTS_SLICE * 2 + 7;
    addMessages(total);
    const job = store.periodicJobs().find((j) => j.name === 'search index')!;
    // Queued before the job starts: it runs at the job's first yield, so it sees how far one slice got.
    let seenBetween = -1;
    setImmediate(() => (seenBetween = indexedSeq()));
    await job.run();
    expect(seenBetween).toBe(FTS_SLICE);
    expect(indexedSeq()).toBe(total);
    expect(indexedRows()).toBe(total);
    // Nothing left: another run indexes nothing and adds no row twice.
    await job.run();
    expect(indexedRows()).toBe(total);
    expect(await store.searchMessages(['harbour'], 'b', total + 1)).toHaveLength(total);
  });

  it('a search between slices catches up at once and sees every committed message', async () => {
    const total = FTS_SLICE * 3;
    addMessages(total);
    const job = store.periodicJobs().find((j) => j.name === 'search index')!;
    let found = -1;
    setImmediate(() => {
      void store.searchMessages(['harbour'], 'a', total + 1).then((m) => (found = m.length));
    });
    await job.run();
    expect(found).toBe(total);
    expect(indexedRows()).toBe(total);
    expect(await store.searchMessages(['note', '1499'], 'b', 5)).toHaveLength(1);
  });

  it('stops quietly when the store closes between slices', async () => {
    addMessages(FTS_SLICE * 2);
    const job = store.periodicJobs().find((j) => j.name === 'search index')!;
    let closed: Promise<void> | undefined;
    setImmediate(() => (closed = store.close()));
    await expect(job.run()).resolves.toBe(FTS_SLICE);
    await closed;
    // afterEach closes again: reopen so it has a store to close.
    store = new SqliteStore(join(dir, 'hub.db'));
    expect(indexedSeq()).toBe(FTS_SLICE);
  });
});
