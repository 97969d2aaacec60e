/**
 * The SQLite context store's two shortcuts (context.ts): a key's history is pruned every PRUNE_EVERY
 * versions, so the table holds a bounded number of extra rows that no read returns; and on an
 * `exclusive` store (a hub's, holding the file's lock) watcher lists are remembered until a watcher
 * write, including one that shares a group commit with sets. A store without `exclusive` reads them
 * every time (test/store/context.test.ts: watchers added and removed on another connection).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type ContextAddress, HISTORY_PER_KEY } from '../context.js';
import { PRUNE_EVERY } from './context.js';
import { SqliteStore } from './index.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const K = (key: string): ContextAddress => ({ scope: 'project', scopeId: 'p1', key });
const write = (key: string, value: unknown, atMs: number) => ({
  ...K(key),
  value,
  by: 'a1',
  at: iso(atMs),
  expiresAt: null,
});

let dir: string;
let store: SqliteStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sb-context-memo-'));
  store = new SqliteStore(join(dir, 'hub.db'), { checkpointer: false, exclusive: true });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const rowsOf = (key: string) =>
  (
    store.db
      .prepare('SELECT COUNT(*) AS n FROM context_history WHERE scope = ? AND scope_id = ? AND key = ?')
      .get('project', 'p1', key) as { n: number }
  ).n;

it('keeps a key history within PRUNE_EVERY - 1 rows of its size, and reads only the newest', async () => {
  let kept = 0;
  for (let i = 1; i <= 3 * HISTORY_PER_KEY + 7; i++) {
    await store.context.setContext(write('k', i, T0 + i));
    kept = i % PRUNE_EVERY === 0 ? Math.min(kept + 1, HISTORY_PER_KEY) : kept + 1;
    expect(rowsOf('k')).toBe(kept);
    expect(rowsOf('k')).toBeLessThanOrEqual(HISTORY_PER_KEY + PRUNE_EVERY - 1);
  }
  const last = 3 * HISTORY_PER_KEY + 7;
  const history = await store.context.contextHistory(K('k'), 1000);
  expect(history.map((c) => c.version)).toEqual(Array.from({ length: HISTORY_PER_KEY }, (_, i) => last - i));
  expect((await store.context.contextHistory(K('k'), 5)).map((c) => c.value)).toEqual([
    last,
    last - 1,
    last - 2,
    last - 3,
    last - 4,
  ]);
});

it('sees watcher writes made since a list was read, also those sharing a commit with sets', async () => {
  await store.context.setContext(write('k', 0, T0));
  expect(await store.context.contextWatchers(K('k'))).toEqual([]);
  // One group commit: a set, a watcher added, a set; the lists read after it have the watcher.
  const [, added] = await Promise.all([
    store.context.setContext(write('k', 1, T0 + 1)),
    store.context.addContextWatcher(K('k'), 'w1', iso(T0)),
    store.context.setContext(write('k', 2, T0 + 2)),
  ]);
  expect(added).toBe(true);
  expect(await store.context.contextWatchers(K('k'))).toEqual(['w1']);
  const list = await store.context.contextWatchers(K('k'));
  list.push('changed by the caller');
  expect(await store.context.contextWatchers(K('k'))).toEqual(['w1']);
  expect(await store.context.contextWatchers(K('other'))).toEqual([]);
  expect(await store.context.addContextWatcher(K('*'), 'w0', iso(T0))).toBe(true);
  expect(await store.context.contextWatchers(K('k'))).toEqual(['w0', 'w1']);
  expect(await store.context.contextWatchers(K('other'))).toEqual(['w0']);
  // A write that changes nothing clears the lists too; they are read again and are the same.
  expect(await store.context.addContextWatcher(K('*'), 'w0', iso(T0))).toBe(false);
  expect(await store.context.contextWatchers(K('other'))).toEqual(['w0']);
  expect(await store.context.removeContextWatcher(K('k'), 'w1')).toBe(true);
  expect(await store.context.contextWatchers(K('k'))).toEqual(['w0']);
  expect(await store.context.removeContextWatcher(K('*'), 'w0')).toBe(true);
  expect(await store.context.contextWatchers(K('k'))).toEqual([]);
  expect(await store.context.contextWatchers(K('other'))).toEqual([]);
});
