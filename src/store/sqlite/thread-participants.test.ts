/**
 * Thread participation on SQLite: a thread's first message writes no participant rows (its sender
 * and recipients take part through it), a later message writes rows only for agents the root does not
 * name — whether the root is remembered or read back after a restart — and a thread without a root
 * message keeps a row for everyone, as before.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { threadMessage as message } from '../../../test/helpers/new-message.js';
import { SqliteStore } from './index.js';
import { ThreadRoots } from '../thread-roots.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sb-threads-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const rows = (store: SqliteStore) =>
  store.db.prepare('SELECT thread_id, agent_id FROM thread_participants ORDER BY 1, 2').all();

async function participants(store: SqliteStore, thread: string, agents: string[]) {
  const out: Record<string, boolean> = {};
  for (const a of agents) out[a] = await store.isThreadParticipant(thread, a);
  return out;
}

describe('thread participants on SQLite', () => {
  it('keeps rows only for agents the thread’s root does not name, also with the root read after a restart', async () => {
    const path = join(dir, 'hub.db');
    let store = new SqliteStore(path);
    await store.insertMessage(message('msg_root', 'a', ['b', 'c']));
    await store.insertMessage(message('msg_2', 'b', ['a', 'd'], 'msg_root')); // root remembered
    expect(rows(store)).toEqual([{ thread_id: 'msg_root', agent_id: 'd' }]);
    await store.close();

    store = new SqliteStore(path); // nothing remembered: the root is read back
    try {
      await store.insertMessage(message('msg_3', 'c', ['e', 'a'], 'msg_root'));
      await store.insertMessage(message('msg_4', 'd', ['b'], 'msg_root'));
      expect(rows(store)).toEqual([
        { thread_id: 'msg_root', agent_id: 'd' },
        { thread_id: 'msg_root', agent_id: 'e' },
      ]);
      expect(await participants(store, 'msg_root', ['a', 'b', 'c', 'd', 'e', 'f'])).toEqual({
        a: true,
        b: true,
        c: true,
        d: true,
        e: true,
        f: false,
      });
      // A later message's id is no thread, not even to its sender and recipients.
      expect(await participants(store, 'msg_2', ['a', 'b', 'd'])).toEqual({ a: false, b: false, d: false });
      expect(await store.threadExists('msg_root')).toBe(true);
      expect(await store.threadExists('msg_2')).toBe(false);
      expect(await store.threadExists('msg_none')).toBe(false);
    } finally {
      await store.close();
    }
  });

  it('keeps a row for everyone in a thread that has no root message', async () => {
    const store = new SqliteStore(join(dir, 'hub.db'));
    try {
      await store.insertMessage(message('msg_1', 'a', ['b'], 'thr_elsewhere'));
      expect(rows(store)).toEqual([
        { thread_id: 'thr_elsewhere', agent_id: 'a' },
        { thread_id: 'thr_elsewhere', agent_id: 'b' },
      ]);
      expect(await participants(store, 'thr_elsewhere', ['a', 'b', 'c'])).toEqual({
        a: true,
        b: true,
        c: false,
      });
      expect(await store.threadExists('thr_elsewhere')).toBe(true);
    } finally {
      await store.close();
    }
  });
});

describe('ThreadRoots', () => {
  it('remembers the root’s sender and recipients of at most `capacity` threads, oldest out first', () => {
    const roots = new ThreadRoots(2);
    roots.remember('t1', 'a', ['b']);
    roots.remember('t2', 'c', []);
    expect([...roots.remember('t3', 'd', ['e', 'f'])].sort()).toEqual(['d', 'e', 'f']);
    expect(roots.get('t1')).toBeUndefined();
    expect([...roots.get('t2')!]).toEqual(['c']);
  });
});
