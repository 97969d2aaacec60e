/**
 * Presence on a cluster: three hub nodes on one PostgreSQL database sweep presence at the same
 * moment (each computes the same change: the agent went idle, then offline) and an agent's activity
 * on one node races the others' sweeps. A subscriber on node 1 counts the `agent.status` events:
 * each change arrives once, whichever node noticed it, and a node that knows less (it has not seen
 * the agent's latest activity) does not take a change back.
 *
 * When every node's events have arrived: each node registers a marker agent after its sweep, and the
 * cluster bus delivers one node's events in the order it published them, so once the subscriber has
 * a node's marker it has every status event that node published before it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { channels } from '../src/bus/bus.js';
import type { HubEvent } from '../src/bus/events.js';
import { TestClock } from './helpers/clock.js';
import { hubPerTest, type TestHub } from './helpers/hub.js';
import { createTestDatabase, hasPostgres, type TestDatabase } from './helpers/postgres.js';
import { until } from './helpers/wait.js';

const hubs = hubPerTest();

describe.runIf(hasPostgres())('presence across hub nodes', () => {
  const dbs: TestDatabase[] = [];
  afterAll(async () => {
    for (const db of dbs.splice(0)) await db.drop();
  });

  it('publishes each status change once in the cluster, whichever nodes notice it', async () => {
    const db = await createTestDatabase();
    dbs.push(db);
    const clock = new TestClock();
    const config = {
      db: db.url,
      rateLimit: { enabled: false },
      // The test runs the sweeps itself, all nodes at once (the timer would run them one at a time).
      presence: {
        idleAfterSeconds: 60,
        offlineAfterSeconds: 300,
        retireAfterSeconds: 3600,
        sweepIntervalSeconds: 3600,
      },
    };
    const nodes: TestHub[] = [];
    for (let i = 0; i < 3; i++) nodes.push(await hubs.start(config, { clock }));
    const [one, two, three] = nodes as [TestHub, TestHub, TestHub];

    const statuses: Array<{ status: string; previous: string }> = [];
    const registered = new Set<string>();
    const agent = await one.register('Roamer');
    one.hub.bus.subscribe(channels.all, (e: HubEvent) => {
      if (e.type === 'agent.status' && e.agent_id === agent.id)
        statuses.push({ status: e.status, previous: e.previous });
      if (e.type === 'agent.registered') registered.add(e.agent.agent_id);
    });
    let markers = 0;
    /** Every node registers a marker; resolves once node 1 has all of them (and so all before). */
    const settled = async () => {
      const ids = await Promise.all(nodes.map((n) => n.register(`marker-${++markers}`)));
      await until('every marker', () => ids.every((m) => registered.has(m.id)));
    };
    const sweepAll = () => Promise.all(nodes.map((n) => n.hub.services.agents.sweep()));

    // Every node has seen the agent active.
    await sweepAll();
    await settled();
    expect(statuses).toEqual([]);

    clock.advance(61);
    await sweepAll();
    await settled();
    expect(statuses).toEqual([{ status: 'idle', previous: 'active' }]);

    // Activity on node 2 while nodes 1 and 3 sweep (they may still read the agent as idle).
    clock.advance(5);
    await Promise.all([
      two.api('POST', `/api/v1/agents/${agent.id}/heartbeat`, { token: agent.token, body: {} }),
      one.hub.services.agents.sweep(),
      three.hub.services.agents.sweep(),
    ]);
    await sweepAll();
    await settled();
    expect(statuses).toEqual([
      { status: 'idle', previous: 'active' },
      { status: 'active', previous: 'idle' },
    ]);

    clock.advance(301);
    await sweepAll();
    await sweepAll();
    await settled();
    expect(statuses).toEqual([
      { status: 'idle', previous: 'active' },
      { status: 'active', previous: 'idle' },
      { status: 'offline', previous: 'active' },
    ]);
    expect((await three.api('GET', `/api/v1/agents/${agent.id}`)).body.agent.status).toBe('offline');

    // Retired by whichever sweep gets there first: reported once.
    clock.advance(3600);
    await sweepAll();
    await settled();
    expect(statuses.slice(3)).toEqual([{ status: 'retired', previous: 'offline' }]);
  });
});
