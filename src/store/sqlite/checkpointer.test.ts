/**
 * WAL checkpoints in a worker thread (checkpointer.ts): the worker copies the WAL into the database
 * file while the store keeps committing, the WAL stays bounded under a steady stream of small
 * commits, nothing committed is lost, and closing the store stops the worker before the file closes.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agentRecord } from '../../../test/helpers/agent-record.js';
import { newMessage } from '../../../test/helpers/new-message.js';
import { RESTART_FRAMES } from './checkpointer.js';
import { SqliteStore } from './index.js';

let dir: string;
let file: string;

const agent = (id: string) => agentRecord(id, new Date().toISOString(), { name: id, project: 'default' });

const message = (i: number) =>
  newMessage(`msg_${i}`, {
    from: i % 2 ? 'a' : 'b',
    to: i % 2 ? 'b' : 'a',
    body: `hello ${i} ${'x'.repeat(200)}`,
    recipients: [i % 2 ? 'b' : 'a'],
  });

/** One small commit after another (a paced sender), sampling the WAL file's size after each. */
async function steadyWrites(store: SqliteStore, commits: number): Promise<number> {
  let maxWal = 0;
  for (let i = 0; i < commits; i++) {
    await Promise.all([store.insertMessage(message(2 * i)), store.insertMessage(message(2 * i + 1))]);
    maxWal = Math.max(maxWal, statSync(`${file}-wal`).size);
  }
  return maxWal;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sb-checkpoint-'));
  file = join(dir, 'hub.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('WAL checkpoints in a worker', () => {
  it('copies the WAL off the event loop and keeps it bounded under a steady write load', async () => {
    const store = new SqliteStore(file, { checkpointer: { everyMs: 5, restartFrames: 256 } });
    await store.createAgent(agent('a'));
    await store.createAgent(agent('b'));
    const maxWal = await steadyWrites(store, 3000);
    // 3,000 commits write over 20,000 frames (80 MB) to the WAL: kept well below that, it starts over.
    expect(maxWal).toBeLessThan(16 * 1024 * 1024);
    expect(store.checkpointer?.stats.passes).toBeGreaterThan(0);
    await store.close();
    // Both connections are closed: the last one to close copied what was left and removed the WAL.
    expect(existsSync(`${file}-wal`)).toBe(false);
    const db = new Database(file, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect((db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n).toBe(6000);
    db.close();
  });

  it('keeps every commit across a reopen while the worker was copying', async () => {
    const store = new SqliteStore(file, { checkpointer: { everyMs: 1, restartFrames: 64 } });
    await store.createAgent(agent('a'));
    await store.createAgent(agent('b'));
    await steadyWrites(store, 500);
    await store.close();
    const again = new SqliteStore(file);
    const inbox = await again.listInbox('a', { limit: 1000, now: new Date().toISOString() });
    expect(inbox).toHaveLength(500);
    expect(inbox.map((e) => e.message.id)).toEqual(Array.from({ length: 500 }, (_, i) => `msg_${2 * i}`));
    await again.close();
  });

  it('is off for an in-memory store and when asked', async () => {
    const memory = new SqliteStore(':memory:');
    expect(memory.checkpointer).toBeNull();
    await memory.close();
    const inline = new SqliteStore(file, { checkpointer: false });
    expect(inline.checkpointer).toBeNull();
    expect(inline.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    await inline.close();
  });

  it("leaves the hub's own connection a checkpoint only past RESTART_FRAMES (its fsyncs hold the event loop)", async () => {
    const store = new SqliteStore(file);
    expect(store.checkpointer).not.toBeNull();
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(RESTART_FRAMES);
    await store.close();
  });
});
