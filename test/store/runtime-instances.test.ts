/** InstanceStore conformance: the same instance records and output events from SQLite and PostgreSQL. */
import { expect, it } from 'vitest';
import type { InstanceRecord } from '../../src/store/instances.js';
import { describeStores } from '../helpers/stores.js';

const T0 = Date.parse('2026-12-06T10:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

function instance(id: string, extra: Partial<InstanceRecord> = {}): InstanceRecord {
  return {
    id,
    agentId: `agent-${id}`,
    owner: null,
    parentId: null,
    rootId: id,
    name: `worker ${id}`,
    adapter: 'claude-code',
    role: 'worker',
    model: null,
    workspace: `/tmp/ws/${id}`,
    worktree: null,
    status: 'starting',
    reason: null,
    pid: null,
    pgid: null,
    sessionId: null,
    limits: {},
    usage: {},
    tokens: 0,
    costUsd: 0,
    turns: 0,
    exitCode: null,
    exitSignal: null,
    createdAt: at(0),
    lastEventAt: null,
    endedAt: null,
    launch: {},
    restarts: 0,
    delivery: { mode: 'manual' },
    ...extra,
  };
}

describeStores('instance store', (open) => {
  it('returns a created instance field for field, JSON fields in their key order', async () => {
    const { store } = await open();
    const full = instance('in_b', {
      owner: 'agent-boss',
      parentId: 'in_a',
      rootId: 'in_a',
      model: 'opus',
      worktree: { repo: '/r', branch: 'sb/in_b', path: '/r/.wt/in_b', state: 'active' },
      status: 'busy',
      pid: 4242,
      pgid: 4242,
      sessionId: 'sess-1',
      limits: { max_turns: 9, max_cost_usd: 1.5 },
      usage: { opus: { out: 7, in: 3 } },
      tokens: 12_345_678_901,
      costUsd: 0.1 + 0.2,
      turns: 4,
      lastEventAt: at(5),
      launch: {
        system_prompt: 'be brief',
        command: ['claude', '-p'],
        restart: { max_restarts: 2, backoff_seconds: 1 },
      },
      restarts: 1,
      delivery: { mode: 'steer', settings: { z: 1, a: 2 } },
    });
    await store.instances.createInstance(full);
    const got = await store.instances.getInstance('in_b');
    expect(got).toEqual(full);
    expect(Object.keys(got!.usage.opus as object)).toEqual(['out', 'in']);
    expect(Object.keys(got!.delivery.settings!)).toEqual(['z', 'a']);
    expect(got).not.toHaveProperty('nodeId');
    expect(await store.instances.getInstance('in_nope')).toBeUndefined();
  });

  it('updates only the patched fields, and an empty patch changes nothing', async () => {
    const { store } = await open();
    await store.instances.createInstance(instance('in_a', { limits: { max_turns: 3 } }));
    await store.instances.updateInstance('in_a', {
      status: 'stopped',
      reason: 'done',
      exitCode: 0,
      exitSignal: null,
      endedAt: at(60),
      usage: { sonnet: { tokens: 10 } },
      tokens: 10,
      costUsd: 0.25,
      worktree: { repo: '/r', branch: 'b', path: '/p', state: 'kept', note: 'uncommitted changes' },
    });
    await store.instances.updateInstance('in_a', {});
    await store.instances.updateInstance('in_missing', { status: 'failed' });
    expect(await store.instances.getInstance('in_a')).toEqual(
      instance('in_a', {
        limits: { max_turns: 3 },
        status: 'stopped',
        reason: 'done',
        exitCode: 0,
        endedAt: at(60),
        usage: { sonnet: { tokens: 10 } },
        tokens: 10,
        costUsd: 0.25,
        worktree: { repo: '/r', branch: 'b', path: '/p', state: 'kept', note: 'uncommitted changes' },
      }),
    );
    expect(await store.instances.getInstance('in_missing')).toBeUndefined();
  });

  it('keeps the owning node when one is named, and can move it', async () => {
    const { store } = await open();
    await store.instances.createInstance(instance('in_a', { nodeId: 'node-1' }));
    expect((await store.instances.getInstance('in_a'))?.nodeId).toBe('node-1');
    await store.instances.updateInstance('in_a', { nodeId: 'node-2' });
    expect(await store.instances.getInstance('in_a')).toEqual(instance('in_a', { nodeId: 'node-2' }));
  });

  it('lists by status, parent and root, ordered by id', async () => {
    const { store } = await open();
    await store.instances.createInstance(instance('in_c', { status: 'idle' }));
    await store.instances.createInstance(instance('in_a', { status: 'busy' }));
    await store.instances.createInstance(
      instance('in_b', { status: 'idle', parentId: 'in_a', rootId: 'in_a' }),
    );
    await store.instances.createInstance(
      instance('in_B', { status: 'idle', parentId: 'in_b', rootId: 'in_a' }),
    );
    const ids = async (f: Parameters<typeof store.instances.listInstances>[0]) =>
      (await store.instances.listInstances(f)).map((r) => r.id);
    expect(await ids({})).toEqual(['in_B', 'in_a', 'in_b', 'in_c']);
    expect(await ids({ status: 'idle' })).toEqual(['in_B', 'in_b', 'in_c']);
    expect(await ids({ parentId: 'in_a' })).toEqual(['in_b']);
    expect(await ids({ rootId: 'in_a' })).toEqual(['in_B', 'in_a', 'in_b']);
    expect(await ids({ rootId: 'in_a', status: 'idle' })).toEqual(['in_B', 'in_b']);
    expect(await ids({ status: 'failed' })).toEqual([]);
  });

  it('names the unfinished instances: those not in the statuses the caller calls terminal', async () => {
    const { store } = await open();
    const statuses = ['starting', 'idle', 'busy', 'stuck', 'stopping', 'stopped', 'failed'] as const;
    for (const [i, status] of statuses.entries()) {
      await store.instances.createInstance(instance(`in_${i}`, { status, pgid: 100 + i }));
    }
    const unfinished = await store.instances.unfinishedInstances(['stopped', 'failed']);
    expect(unfinished.map((r) => r.status)).toEqual(['starting', 'idle', 'busy', 'stuck', 'stopping']);
    expect(unfinished[2]).toEqual(instance('in_2', { status: 'busy', pgid: 102 }));
    expect((await store.instances.unfinishedInstances([...statuses])).length).toBe(0);
  });

  it('appends output events with increasing cursors and pages them per instance', async () => {
    const { store } = await open();
    const first = await store.instances.appendInstanceEvents([
      { instanceId: 'in_a', kind: 'text', at: at(1), data: { text: 'hello', b: 1, a: 2 } },
      { instanceId: 'in_b', kind: 'text', at: at(2), data: { text: 'other' } },
      { instanceId: 'in_a', kind: 'tool', at: at(3), data: { name: 'Read' } },
    ]);
    expect(first).toHaveLength(3);
    expect([...first].sort((a, b) => a - b)).toEqual(first);
    const second = await store.instances.appendInstanceEvents([
      { instanceId: 'in_a', kind: 'result', at: at(4), data: {} },
    ]);
    expect(second[0]).toBeGreaterThan(first[2]);
    expect(await store.instances.appendInstanceEvents([])).toEqual([]);

    const all = await store.instances.instanceEvents('in_a', 0, 100);
    expect(all).toEqual([
      { seq: first[0], instanceId: 'in_a', kind: 'text', at: at(1), data: { text: 'hello', b: 1, a: 2 } },
      { seq: first[2], instanceId: 'in_a', kind: 'tool', at: at(3), data: { name: 'Read' } },
      { seq: second[0], instanceId: 'in_a', kind: 'result', at: at(4), data: {} },
    ]);
    expect(Object.keys(all[0].data)).toEqual(['text', 'b', 'a']);
    expect((await store.instances.instanceEvents('in_a', first[0], 1)).map((e) => e.seq)).toEqual([first[2]]);
    expect(await store.instances.instanceEvents('in_a', second[0], 10)).toEqual([]);
    expect(await store.instances.instanceEvents('in_nope', 0, 10)).toEqual([]);
  });

  it('never lets a reader skip an event: appends from two nodes page in commit order', async () => {
    const { store, peer } = await open();
    const other = await peer();
    const nodes = [store, other];
    const seen: number[] = [];
    let after = 0;
    const appends = Array.from({ length: 40 }, (_, i) =>
      nodes[i % 2].instances.appendInstanceEvents([
        { instanceId: 'in_a', kind: 'text', at: at(i), data: { i } },
        { instanceId: i % 3 === 0 ? 'in_b' : 'in_a', kind: 'text', at: at(i), data: { i } },
      ]),
    );
    let done = false;
    const all = Promise.all(appends).finally(() => (done = true));
    // Read while the appends commit: every page must continue the last one without a gap. (SQLite
    // answers reads at once, so let its write batches run between pages.)
    while (!done) {
      await new Promise((r) => setImmediate(r));
      const page = await nodes[seen.length % 2].instances.instanceEvents('in_a', after, 1000);
      for (const e of page) seen.push(e.seq);
      if (page.length) after = page[page.length - 1].seq;
    }
    const cursors = (await all).flat();
    for (const e of await store.instances.instanceEvents('in_a', after, 1000)) seen.push(e.seq);
    const expected = (await store.instances.instanceEvents('in_a', 0, 1000)).map((e) => e.seq);
    expect(seen).toEqual(expected);
    expect(new Set(cursors).size).toBe(80);
    expect(expected.length).toBe(40 + 40 - 14);
  });
});

describeStores('instance claims (cluster ownership)', (open) => {
  it('writes only while the record is as expected: owner node and status', async () => {
    const { store } = await open();
    await store.instances.createInstance(instance('in_c', { status: 'idle', nodeId: 'node_a' }));
    const s = store.instances;
    expect(await s.claimInstance('in_c', { nodeId: 'node_b', status: 'idle' }, { nodeId: 'node_c' })).toBe(
      false,
    );
    expect(await s.claimInstance('in_c', { nodeId: 'node_a', status: 'busy' }, { nodeId: 'node_c' })).toBe(
      false,
    );
    expect(await s.claimInstance('in_x', { nodeId: 'node_a', status: 'idle' }, { nodeId: 'node_c' })).toBe(
      false,
    );
    expect(
      await s.claimInstance(
        'in_c',
        { nodeId: 'node_a', status: 'idle' },
        { nodeId: 'node_c', status: 'starting', reason: 'taken over' },
      ),
    ).toBe(true);
    expect(await s.getInstance('in_c')).toEqual(
      instance('in_c', { status: 'starting', reason: 'taken over', nodeId: 'node_c' }),
    );
    // A record that names no node is claimed by expecting null.
    await s.createInstance(instance('in_n', { status: 'idle' }));
    expect(await s.claimInstance('in_n', { nodeId: 'node_a', status: 'idle' }, { status: 'failed' })).toBe(
      false,
    );
    expect(await s.claimInstance('in_n', { nodeId: null, status: 'idle' }, { status: 'failed' })).toBe(true);
    expect((await s.getInstance('in_n'))?.status).toBe('failed');
  });

  it('of many nodes claiming one instance at once, exactly one wins', async () => {
    const { store, peer } = await open();
    await store.instances.createInstance(instance('in_r', { status: 'idle', nodeId: 'node_dead' }));
    const stores = [store, await peer(), await peer()];
    const wins = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        stores[i % 3]!.instances.claimInstance(
          'in_r',
          { nodeId: 'node_dead', status: 'idle' },
          { nodeId: `node_${i}`, status: 'starting' },
        ),
      ),
    );
    expect(wins.filter(Boolean)).toHaveLength(1);
    const winner = wins.indexOf(true);
    expect((await store.instances.getInstance('in_r'))?.nodeId).toBe(`node_${winner}`);
  });
});
