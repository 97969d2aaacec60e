/**
 * Store conformance for agents, messages (inboxes, threads, search, acks, idempotency), topics and
 * delivery settings: every test runs on SQLite and on PostgreSQL, and the cross-node races run on
 * several stores sharing one database (`peer()`, a second node).
 */
import { expect, it } from 'vitest';
import type { AgentRecord, Store } from '../../src/store/types.js';
import { describeStores } from '../helpers/stores.js';

const T0 = Date.parse('2026-12-06T10:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

let agentCounter = 0;
function agent(id: string, extra: Partial<AgentRecord> = {}): AgentRecord {
  agentCounter++;
  return {
    id,
    name: `name-${id}`,
    sessionId: null,
    project: 'p1',
    role: null,
    description: null,
    capabilities: [],
    metadata: {},
    tokenHash: `hash-${id}-${agentCounter}`,
    declaredStatus: 'active',
    createdAt: at(0),
    lastSeenAt: at(0),
    retiredAt: null,
    ...extra,
  };
}

async function agents(store: Store, ...ids: string[]) {
  for (const id of ids) await store.createAgent(agent(id));
}

describeStores('agents', (open) => {
  it('creates, reads back by id and by token hash, and refuses a second agent with one id', async () => {
    const { store } = await open();
    const a = agent('ag_a', {
      role: 'builder',
      description: 'builds',
      capabilities: ['ts', 'sql'],
      metadata: { z: 1, a: { nested: [1, 2] } },
      sessionId: 'sess-1',
    });
    await store.createAgent(a);
    expect(await store.getAgent('ag_a')).toEqual(a);
    expect(Object.keys((await store.getAgent('ag_a'))!.metadata)).toEqual(['z', 'a']);
    expect(await store.findAgentByTokenHash(a.tokenHash)).toEqual(a);
    expect(await store.getAgent('ag_missing')).toBeUndefined();
    expect(await store.findAgentByTokenHash('nope')).toBeUndefined();
    const err = await store.createAgent(agent('ag_a')).catch((e) => e);
    expect(err.code).toBe('conflict');
    expect(await store.getAgent('ag_a')).toEqual(a);
  });

  it('updates only the fields given, keeps the capability index in step, and answers undefined for nobody', async () => {
    const { store } = await open();
    await store.createAgent(agent('ag_a', { capabilities: ['x'] }));
    const updated = await store.updateAgent('ag_a', {
      name: 'renamed',
      capabilities: ['y', 'z'],
      metadata: { k: 'v' },
      declaredStatus: 'busy',
      retiredAt: at(5),
    });
    expect(updated).toMatchObject({
      id: 'ag_a',
      name: 'renamed',
      capabilities: ['y', 'z'],
      metadata: { k: 'v' },
      declaredStatus: 'busy',
      retiredAt: at(5),
      createdAt: at(0),
    });
    expect(await store.getAgent('ag_a')).toEqual(updated);
    await store.updateAgent('ag_a', { retiredAt: null });
    expect((await store.listAgents({ capability: 'x' })).map((a) => a.id)).toEqual([]);
    expect((await store.listAgents({ capability: 'z' })).map((a) => a.id)).toEqual(['ag_a']);
    expect(await store.updateAgent('ag_nobody', { name: 'x' })).toBeUndefined();
    expect(await store.updateAgent('ag_a', {})).toEqual(await store.getAgent('ag_a'));
  });

  it('lists oldest first, ids in byte order on a tie, with every filter and a limit', async () => {
    const { store } = await open();
    await store.createAgent(agent('ag_b', { createdAt: at(1), capabilities: ['c1'], role: 'r1' }));
    await store.createAgent(agent('ag_A', { createdAt: at(1), project: 'p2', metadata: { m: 1 } }));
    await store.createAgent(agent('ag_a', { createdAt: at(1), capabilities: ['c1', 'c2'] }));
    await store.createAgent(agent('ag_0', { createdAt: at(2), role: 'r1', retiredAt: at(3) }));
    const ids = async (f: Parameters<Store['listAgents']>[0]) => (await store.listAgents(f)).map((a) => a.id);
    expect(await ids({})).toEqual(['ag_A', 'ag_a', 'ag_b']);
    expect(await ids({ includeRetired: true })).toEqual(['ag_A', 'ag_a', 'ag_b', 'ag_0']);
    expect(await ids({ project: 'p2' })).toEqual(['ag_A']);
    expect(await ids({ role: 'r1' })).toEqual(['ag_b']);
    expect(await ids({ role: 'r1', includeRetired: true })).toEqual(['ag_b', 'ag_0']);
    expect(await ids({ capability: 'c1' })).toEqual(['ag_a', 'ag_b']);
    expect(await ids({ capability: 'c2', project: 'p1' })).toEqual(['ag_a']);
    expect(await ids({ ids: ['ag_b', 'ag_0', 'ag_zz'] })).toEqual(['ag_b']);
    expect(await ids({ ids: [] })).toEqual([]);
    expect(await ids({ limit: 2, includeRetired: true })).toEqual(['ag_A', 'ag_a']);
    const lean = await store.listAgents({ project: 'p2', withoutMetadata: true });
    expect(lean[0].metadata).toEqual({});
    expect((await store.listAgents({ project: 'p2' }))[0].metadata).toEqual({ m: 1 });
  });

  it('touches agents forward in time only, and retires the idle ones once', async () => {
    const { store } = await open();
    await agents(store, 'ag_a', 'ag_b', 'ag_c');
    await store.touchAgents([
      { id: 'ag_a', lastSeenAt: at(10) },
      { id: 'ag_a', lastSeenAt: at(5) },
      { id: 'ag_b', lastSeenAt: at(20) },
      { id: 'ag_nobody', lastSeenAt: at(20) },
    ]);
    await store.touchAgents([{ id: 'ag_b', lastSeenAt: at(15) }]);
    await store.touchAgents([]);
    expect((await store.getAgent('ag_a'))!.lastSeenAt).toBe(at(10));
    expect((await store.getAgent('ag_b'))!.lastSeenAt).toBe(at(20));
    expect((await store.retireIdleAgents(at(12), at(30))).sort()).toEqual(['ag_a', 'ag_c']);
    expect((await store.getAgent('ag_a'))!.retiredAt).toBe(at(30));
    expect((await store.getAgent('ag_b'))!.retiredAt).toBeNull();
    expect(await store.retireIdleAgents(at(12), at(31))).toEqual([]);
    expect((await store.getAgent('ag_c'))!.retiredAt).toBe(at(30));
  });

  it('across nodes: one id registered at once on three nodes has exactly one winner', async () => {
    const { store, peer } = await open();
    const nodes = [store, await peer(), await peer()];
    const outcomes = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => nodes[i % 3].createAgent(agent('ag_race'))),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason.code).toBe('conflict');
  });

  it('across nodes: idle agents retired by three nodes at once are each reported once', async () => {
    const { store, peer } = await open();
    const nodes = [store, await peer(), await peer()];
    const ids = Array.from({ length: 20 }, (_, i) => `ag_${String(i).padStart(2, '0')}`);
    await agents(store, ...ids);
    const retired = (await Promise.all(nodes.map((n) => n.retireIdleAgents(at(1), at(2))))).flat();
    expect(retired.sort()).toEqual(ids);
  });
});
