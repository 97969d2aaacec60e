/**
 * ContextStore conformance: the same calls give the same entries and history on SQLite and
 * PostgreSQL — expiry, prefixes and pages, compare-and-set, versions that never repeat, history
 * pruning, sweeps, watchers — and compare-and-set and sweeps stay exact across nodes.
 */
import { expect, it } from 'vitest';
import { type ContextAddress, type ContextEntry, HISTORY_PER_KEY } from '../../src/store/context.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { describeStores } from '../helpers/stores.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const K = (key: string): ContextAddress => ({ scope: 'project', scopeId: 'p1', key });
const write = (
  key: string,
  value: unknown,
  atMs: number,
  more: Partial<{ expectedVersion: number; expiresAt: string | null; by: string; maxKeys: number }> = {},
) => ({
  ...K(key),
  value,
  by: more.by ?? 'a1',
  at: iso(atMs),
  expiresAt: more.expiresAt ?? null,
  ...(more.expectedVersion !== undefined ? { expectedVersion: more.expectedVersion } : {}),
  ...(more.maxKeys !== undefined ? { maxKeys: more.maxKeys } : {}),
});
const stored = (r: object): r is ContextEntry => !('stale' in r) && !('full' in r);

describeStores('context store', (open) => {
  it('sets and reads a key; a second set keeps its creation time and bumps the version', async () => {
    const { store } = await open();
    const first = await store.context.setContext(write('plan', { b: 1, a: [1, 2] }, T0));
    expect(first).toEqual({
      scope: 'project',
      scopeId: 'p1',
      key: 'plan',
      value: { b: 1, a: [1, 2] },
      version: 1,
      createdAt: iso(T0),
      updatedAt: iso(T0),
      updatedBy: 'a1',
      expiresAt: null,
    });
    expect(await store.context.getContext(K('plan'), iso(T0))).toEqual(first);
    const second = await store.context.setContext(write('plan', 'v2', T0 + 1000, { by: 'a2' }));
    expect(second).toMatchObject({
      version: 2,
      createdAt: iso(T0),
      updatedAt: iso(T0 + 1000),
      updatedBy: 'a2',
    });
    expect(await store.context.getContext(K('nope'), iso(T0))).toBeNull();
    expect(await store.context.getContext({ ...K('plan'), scopeId: 'p2' }, iso(T0))).toBeNull();
  });

  it('hides an expired key, and a write over it logs the expiry first and starts afresh', async () => {
    const { store } = await open();
    await store.context.setContext(write('k', 1, T0, { expiresAt: iso(T0 + 5000) }));
    expect(await store.context.getContext(K('k'), iso(T0 + 4999))).not.toBeNull();
    expect(await store.context.getContext(K('k'), iso(T0 + 5000))).toBeNull();
    expect(await store.context.countContext('project', 'p1', iso(T0 + 5000))).toBe(0);
    // only-if-absent succeeds over an expired entry
    const again = (await store.context.setContext(
      write('k', 2, T0 + 6000, { expectedVersion: 0 }),
    )) as ContextEntry;
    expect(again).toMatchObject({ version: 3, createdAt: iso(T0 + 6000), value: 2 });
    expect(
      (await store.context.contextHistory(K('k'), 10)).map((c) => [c.version, c.change, c.changedAt]),
    ).toEqual([
      [3, 'set', iso(T0 + 6000)],
      [2, 'expire', iso(T0 + 5000)],
      [1, 'set', iso(T0)],
    ]);
  });

  it('lists live keys of one scope by key: prefix, page after a key, limit; counts them', async () => {
    const { store } = await open();
    for (const key of ['b.2', 'a.1', 'b.1', 'b:x', 'B.0', 'c'])
      await store.context.setContext(write(key, key, T0));
    await store.context.setContext(write('b.3', 'gone', T0, { expiresAt: iso(T0 + 10) }));
    await store.context.setContext({ ...write('b.9', 'other scope', T0), scopeId: 'p2' });
    const keys = async (opts: { prefix?: string; after?: string; limit?: number }) =>
      (await store.context.listContext('project', 'p1', { now: iso(T0 + 100), limit: 100, ...opts })).map(
        (e) => e.key,
      );
    expect(await keys({})).toEqual(['B.0', 'a.1', 'b.1', 'b.2', 'b:x', 'c']);
    expect(await keys({ prefix: 'b.' })).toEqual(['b.1', 'b.2']);
    expect(await keys({ prefix: 'b', after: 'b.1' })).toEqual(['b.2', 'b:x']);
    expect(await keys({ limit: 2 })).toEqual(['B.0', 'a.1']);
    expect(await keys({ prefix: 'zz' })).toEqual([]);
    expect(await store.context.countContext('project', 'p1', iso(T0 + 100))).toBe(6);
    expect(await store.context.countContext('project', 'p1', iso(T0))).toBe(7);
    expect(await store.context.countContext('global', '', iso(T0))).toBe(0);
  });

  it('compare-and-set: writes only over the expected version, else says what is there', async () => {
    const { store } = await open();
    expect(await store.context.setContext(write('k', 1, T0, { expectedVersion: 0 }))).toMatchObject({
      version: 1,
    });
    const stale = await store.context.setContext(write('k', 2, T0 + 1, { expectedVersion: 0 }));
    expect(stale).toEqual({ stale: true, current: await store.context.getContext(K('k'), iso(T0 + 1)) });
    expect(await store.context.setContext(write('k', 2, T0 + 2, { expectedVersion: 7 }))).toMatchObject({
      stale: true,
    });
    expect(await store.context.setContext(write('k', 2, T0 + 3, { expectedVersion: 1 }))).toMatchObject({
      version: 2,
      value: 2,
    });
    expect(await store.context.setContext(write('absent', 2, T0 + 3, { expectedVersion: 1 }))).toEqual({
      stale: true,
      current: null,
    });
  });

  it('deletes a live key (optionally compare-and-set); versions never repeat after a delete', async () => {
    const { store } = await open();
    expect(await store.context.deleteContext(K('k'), { by: 'a1', at: iso(T0) })).toBeNull();
    await store.context.setContext(write('k', 1, T0));
    expect(
      await store.context.deleteContext(K('k'), { expectedVersion: 5, by: 'a1', at: iso(T0 + 1) }),
    ).toMatchObject({
      stale: true,
      current: { version: 1 },
    });
    expect(
      await store.context.deleteContext(K('k'), { expectedVersion: 1, by: 'a2', at: iso(T0 + 2) }),
    ).toEqual({
      ...K('k'),
      version: 2,
      change: 'delete',
      value: null,
      changedBy: 'a2',
      changedAt: iso(T0 + 2),
      expiresAt: null,
    });
    expect(await store.context.getContext(K('k'), iso(T0 + 3))).toBeNull();
    expect(await store.context.setContext(write('k', 'back', T0 + 4))).toMatchObject({
      version: 3,
      createdAt: iso(T0 + 4),
    });
  });

  it('keeps the newest changes of each key, newest first, pruned to the history size', async () => {
    const { store } = await open();
    for (let i = 1; i <= HISTORY_PER_KEY + 5; i++) await store.context.setContext(write('k', i, T0 + i));
    await store.context.setContext(write('other', 'x', T0));
    const history = await store.context.contextHistory(K('k'), 1000);
    expect(history).toHaveLength(HISTORY_PER_KEY);
    expect(history[0]).toEqual({
      ...K('k'),
      version: HISTORY_PER_KEY + 5,
      change: 'set',
      value: HISTORY_PER_KEY + 5,
      changedBy: 'a1',
      changedAt: iso(T0 + HISTORY_PER_KEY + 5),
      expiresAt: null,
    });
    expect(history.at(-1)?.version).toBe(6);
    expect((await store.context.contextHistory(K('k'), 3)).map((c) => c.version)).toEqual([105, 104, 103]);
    expect(await store.context.contextHistory(K('none'), 10)).toEqual([]);
  });

  it('sweeps expired entries once, each with an expire change', async () => {
    const { store } = await open();
    await store.context.setContext(write('a', 1, T0, { expiresAt: iso(T0 + 20) }));
    await store.context.setContext(write('b', 1, T0, { expiresAt: iso(T0 + 10) }));
    await store.context.setContext(write('c', 1, T0, { expiresAt: iso(T0 + 90) }));
    await store.context.setContext(write('d', 1, T0));
    const swept = await store.context.sweepContext(iso(T0 + 50), 10);
    expect(swept).toEqual([
      {
        ...K('b'),
        version: 2,
        change: 'expire',
        value: null,
        changedBy: null,
        changedAt: iso(T0 + 10),
        expiresAt: iso(T0 + 10),
      },
      {
        ...K('a'),
        version: 2,
        change: 'expire',
        value: null,
        changedBy: null,
        changedAt: iso(T0 + 20),
        expiresAt: iso(T0 + 20),
      },
    ]);
    expect(await store.context.sweepContext(iso(T0 + 50), 10)).toEqual([]);
    expect((await store.context.contextHistory(K('a'), 10))[0].change).toBe('expire');
    expect((await store.context.sweepContext(iso(T0 + 100), 10)).map((c) => c.key)).toEqual(['c']);
    expect(await store.context.getContext(K('d'), iso(T0 + 100))).not.toBeNull();
  });

  it('keeps watchers of a key and of a whole scope; watching twice is one watch', async () => {
    const { store } = await open();
    expect(await store.context.addContextWatcher(K('k'), 'w2', iso(T0))).toBe(true);
    expect(await store.context.addContextWatcher(K('k'), 'w2', iso(T0))).toBe(false);
    expect(await store.context.addContextWatcher(K('*'), 'w1', iso(T0))).toBe(true);
    expect(await store.context.addContextWatcher(K('*'), 'w2', iso(T0))).toBe(true);
    expect(await store.context.addContextWatcher(K('other'), 'w3', iso(T0))).toBe(true);
    expect(await store.context.contextWatchers(K('k'))).toEqual(['w1', 'w2']);
    expect(await store.context.contextWatchers(K('other'))).toEqual(['w1', 'w2', 'w3']);
    expect(await store.context.contextWatchers({ ...K('k'), scopeId: 'p2' })).toEqual([]);
    expect(await store.context.removeContextWatcher(K('*'), 'w2')).toBe(true);
    expect(await store.context.removeContextWatcher(K('*'), 'w2')).toBe(false);
    expect(await store.context.contextWatchers(K('other'))).toEqual(['w1', 'w3']);
  });

  it('finds watchers however they came and went: none yet, added and removed on another node, re-added after the last left', async () => {
    const { store, peer } = await open();
    expect(await store.context.contextWatchers(K('k'))).toEqual([]);
    const other = await peer();
    expect(await other.context.addContextWatcher(K('k'), 'w1', iso(T0))).toBe(true);
    expect(await store.context.contextWatchers(K('k'))).toEqual(['w1']);
    expect(await other.context.removeContextWatcher(K('k'), 'w1')).toBe(true);
    expect(await store.context.contextWatchers(K('k'))).toEqual([]);
    expect(await store.context.addContextWatcher(K('*'), 'w2', iso(T0))).toBe(true);
    expect(await other.context.contextWatchers(K('k'))).toEqual(['w2']);
    expect(await store.context.removeContextWatcher(K('*'), 'w2')).toBe(true);
    expect(await store.context.contextWatchers(K('k'))).toEqual([]);
    expect(await other.context.contextWatchers(K('k'))).toEqual([]);
    // An add and a remove of the last watcher in flight together: the add is never lost.
    await store.context.addContextWatcher(K('k'), 'w3', iso(T0));
    await Promise.all([
      store.context.removeContextWatcher(K('k'), 'w3'),
      store.context.addContextWatcher(K('k'), 'w4', iso(T0)),
    ]);
    expect(await store.context.contextWatchers(K('k'))).toEqual(['w4']);
    expect(await (await peer()).context.contextWatchers(K('k'))).toEqual(['w4']);
  });

  it('20 concurrent compare-and-set writes over one version from three nodes: exactly one winner', async () => {
    const { store, peer } = await open();
    const nodes = [store, await peer(), await peer()];
    await store.context.setContext(write('k', 'start', T0));
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        nodes[i % 3].context.setContext(write('k', `w${i}`, T0 + 1000, { expectedVersion: 1, by: `a${i}` })),
      ),
    );
    const won = results.filter((r): r is ContextEntry => !('stale' in r));
    expect(won).toHaveLength(1);
    expect(won[0].version).toBe(2);
    expect(await nodes[2].context.getContext(K('k'), iso(T0 + 2000))).toEqual(won[0]);
    expect((await store.context.contextHistory(K('k'), 100)).map((c) => c.version)).toEqual([2, 1]);
  });

  it('20 concurrent only-if-absent writes from three nodes: exactly one creates the key', async () => {
    const { store, peer } = await open();
    const nodes = [store, await peer(), await peer()];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        nodes[i % 3].context.setContext(write('new', i, T0, { expectedVersion: 0, by: `a${i}` })),
      ),
    );
    expect(results.filter((r) => !('stale' in r))).toHaveLength(1);
    expect(await store.context.contextHistory(K('new'), 100)).toHaveLength(1);
  });

  it('unconditional writes racing from three nodes each get their own version', async () => {
    const { store, peer } = await open();
    const nodes = [store, await peer(), await peer()];
    const results = (await Promise.all(
      Array.from({ length: 15 }, (_, i) => nodes[i % 3].context.setContext(write('k', i, T0 + i))),
    )) as ContextEntry[];
    expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 15 }, (_, i) => i + 1),
    );
  });

  it('three nodes sweeping at once report each expired entry once', async () => {
    const { store, peer } = await open();
    const nodes = [store, await peer(), await peer()];
    for (let i = 0; i < 12; i++) {
      await store.context.setContext(write(`k${i}`, i, T0, { expiresAt: iso(T0 + 10) }));
    }
    const swept = (await Promise.all(nodes.map((n) => n.context.sweepContext(iso(T0 + 50), 100)))).flat();
    expect(swept.map((c) => c.key).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `k${i}`).sort());
    for (let i = 0; i < 12; i++) {
      expect((await store.context.contextHistory(K(`k${i}`), 10)).map((c) => c.change)).toEqual([
        'expire',
        'set',
      ]);
    }
  });

  it('a burst of writes is decided call by call: a stale compare-and-set and a write past the key limit store nothing, the rest store', async () => {
    const { store } = await open();
    await store.context.setContext(write('a', 'a1', T0));
    await store.context.setContext(write('b', 'b1', T0));
    const batchesBefore = store instanceof SqliteStore ? store.batcher.stats.batches : 0;
    // All in flight at once: on SQLite they share one group commit, on PostgreSQL they run side by side.
    const results = await Promise.all([
      store.context.setContext(write('a', 'a2', T0 + 1, { expectedVersion: 1 })),
      store.context.setContext(write('b', 'b2', T0 + 1, { expectedVersion: 7 })), // stale
      store.context.setContext(write('c', 'c1', T0 + 1, { maxKeys: 3 })),
      store.context.setContext(write('b', 'b3', T0 + 1, { expectedVersion: 1, maxKeys: 3 })), // not new: no limit
      store.context.setContext(write('e', 'e1', T0 + 1, { maxKeys: 3 })), // c or e makes the third key
      store.context.setContext({ ...write('d', 'd1', T0 + 1, { expectedVersion: 0 }), scopeId: 'p2' }),
    ]);
    if (store instanceof SqliteStore) expect(store.batcher.stats.batches).toBe(batchesBefore + 1);
    expect(results[0]).toMatchObject({ key: 'a', value: 'a2', version: 2 });
    // The stale write sees b as it stands when it is decided: on SQLite (call order) before b3, on
    // PostgreSQL either side of it.
    expect(results[1]).toMatchObject({ stale: true, current: { key: 'b' } });
    const seen = (results[1] as { current: { value: unknown; version: number } }).current;
    expect([
      ['b1', 1],
      ['b3', 2],
    ]).toContainEqual([seen.value, seen.version]);
    if (store instanceof SqliteStore) expect(seen).toMatchObject({ value: 'b1', version: 1 });
    expect(results[3]).toMatchObject({ key: 'b', value: 'b3', version: 2, createdAt: iso(T0) });
    expect(results[5]).toMatchObject({ scopeId: 'p2', key: 'd', value: 'd1', version: 1 });
    // One of the two new keys fits; on SQLite, decided in call order, the first.
    const third = [results[2], results[4]].filter(stored);
    expect(third).toHaveLength(1);
    expect(third[0]).toMatchObject({ value: `${third[0].key}1`, version: 1, createdAt: iso(T0 + 1) });
    expect([results[2], results[4]].find((r) => !stored(r))).toEqual({ full: true, count: 3 });
    if (store instanceof SqliteStore) expect(third[0].key).toBe('c');
    // Exactly the stored ones are there, each as returned, each with its one new history record.
    const now = iso(T0 + 2);
    expect(
      (await store.context.listContext('project', 'p1', { now, limit: 10 })).map((e) => [
        e.key,
        e.value,
        e.version,
      ]),
    ).toEqual([
      ['a', 'a2', 2],
      ['b', 'b3', 2],
      [third[0].key, `${third[0].key}1`, 1],
    ]);
    for (const r of results.filter(stored)) {
      expect(await store.context.getContext(r, now)).toEqual(r);
      expect((await store.context.contextHistory(r, 1))[0]).toMatchObject({
        version: r.version,
        value: r.value,
      });
    }
    expect((await store.context.contextHistory(K('b'), 10)).map((c) => [c.version, c.value])).toEqual([
      [2, 'b3'],
      [1, 'b1'],
    ]);
    const left = third[0].key === 'c' ? 'e' : 'c';
    expect(await store.context.contextHistory(K(left), 10)).toEqual([]);
  });

  it('two writes over one version in one burst: the first called wins on SQLite, exactly one on any store', async () => {
    const { store } = await open();
    await store.context.setContext(write('k', 'start', T0));
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        store.context.setContext(write('k', `w${i}`, T0 + 1, { expectedVersion: 1, by: `a${i}` })),
      ),
    );
    const won = results.filter(stored);
    expect(won).toHaveLength(1);
    if (store instanceof SqliteStore) expect(won[0]).toBe(results[0]);
    for (const r of results) if (!stored(r)) expect(r).toMatchObject({ stale: true, current: won[0] });
    expect((await store.context.contextHistory(K('k'), 10)).map((c) => c.version)).toEqual([2, 1]);
  });

  it('the key limit stays exact when new keys race from three nodes', async () => {
    const { store, peer } = await open();
    const nodes = [store, await peer(), await peer()];
    await store.context.setContext(write('old1', 1, T0));
    await store.context.setContext(write('old2', 2, T0));
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        nodes[i % 3].context.setContext(write(`new${i}`, i, T0, { maxKeys: 5 })),
      ),
    );
    expect(results.filter(stored)).toHaveLength(3);
    expect(results.filter((r) => 'full' in r)).toHaveLength(9);
    expect(await store.context.countContext('project', 'p1', iso(T0))).toBe(5);
    // A full scope still takes writes to its live keys.
    expect(await store.context.setContext(write('old1', 'again', T0 + 1, { maxKeys: 5 }))).toMatchObject({
      version: 2,
    });
  });
});
