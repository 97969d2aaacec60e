/**
 * WorkflowStore conformance: runs and their steps on SQLite and PostgreSQL, and one end per run when
 * nodes end it and write its steps at once.
 */
import { expect, it } from 'vitest';
import type { StoredRun, StoredStep } from '../../src/store/workflows.js';
import { describeStores } from '../helpers/stores.js';

const T0 = Date.parse('2026-12-06T10:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

function run(id: string, extra: Partial<StoredRun> = {}): StoredRun {
  return {
    id,
    name: 'deploy',
    definition: { name: 'deploy', steps: [{ id: 'build', call: 'send_message' }], output: '${build}' },
    inputs: { env: 'prod', retries: 2 },
    status: 'running',
    startedBy: 'agent:ag_1',
    agentId: 'ag_1',
    correlationId: `corr-${id}`,
    output: null,
    error: null,
    createdAt: at(0),
    updatedAt: at(0),
    finishedAt: null,
    ...extra,
  };
}

function step(runId: string, stepId: string, position: number, extra: Partial<StoredStep> = {}): StoredStep {
  return {
    runId,
    stepId,
    position,
    parent: null,
    call: 'send_message',
    status: 'pending',
    attempts: 0,
    output: null,
    error: null,
    startedAt: null,
    finishedAt: null,
    ...extra,
  };
}

const threeSteps = (runId: string) => [
  step(runId, 'fan', 0, { call: null }),
  step(runId, 'b', 1, { parent: 'fan' }),
  step(runId, 'a', 2, { parent: 'fan' }),
];

describeStores('workflow store', (open) => {
  it('creates a run with its steps and reads them back in definition order', async () => {
    const { store } = await open();
    const r = run('wr_1');
    await store.workflows.createRun(r, threeSteps('wr_1'));
    const got = await store.workflows.getRun('wr_1');
    expect(got).toEqual(r);
    expect(got).not.toHaveProperty('nodeId');
    expect(Object.keys(got!.definition)).toEqual(['name', 'steps', 'output']);
    expect(await store.workflows.getSteps('wr_1')).toEqual(threeSteps('wr_1'));
    await store.workflows.createRun(run('wr_0'), []);
    expect(await store.workflows.getSteps('wr_0')).toEqual([]);
    expect(await store.workflows.getRun('wr_none')).toBeUndefined();
    expect(await store.workflows.getSteps('wr_none')).toEqual([]);
  });

  it('keeps the owning node and its lease when a run names them', async () => {
    const { store } = await open();
    const owned = run('wr_1', { nodeId: 'node-a', leaseExpiresAt: at(30) });
    await store.workflows.createRun(owned, []);
    expect(await store.workflows.getRun('wr_1')).toEqual(owned);
    expect((await store.workflows.listRuns({ limit: 5 }))[0]).toEqual(owned);
  });

  it('writes steps while the run is running, and bumps the run’s updated time', async () => {
    const { store } = await open();
    await store.workflows.createRun(run('wr_1'), threeSteps('wr_1'));
    const done = step('wr_1', 'b', 1, {
      parent: 'fan',
      status: 'completed',
      attempts: 2,
      output: { ok: true, list: [3, 1] },
      startedAt: at(1),
      finishedAt: at(2),
    });
    expect(await store.workflows.updateStep(done, at(2))).toBe(true);
    const failed = step('wr_1', 'a', 2, {
      parent: 'fan',
      status: 'failed',
      attempts: 1,
      error: 'boom',
      startedAt: at(1),
      finishedAt: at(3),
    });
    expect(await store.workflows.updateStep(failed, at(3))).toBe(true);
    expect(await store.workflows.getSteps('wr_1')).toEqual([threeSteps('wr_1')[0], done, failed]);
    expect((await store.workflows.getRun('wr_1'))?.updatedAt).toBe(at(3));
    expect(await store.workflows.updateStep(step('wr_none', 'x', 0), at(4))).toBe(false);
  });

  it('ends a running run once, and writes no step after it ended', async () => {
    const { store } = await open();
    await store.workflows.createRun(run('wr_1'), threeSteps('wr_1'));
    expect(
      await store.workflows.finishRun('wr_1', {
        status: 'completed',
        output: { n: 1, a: 'x' },
        error: null,
        at: at(9),
      }),
    ).toBe(true);
    expect(await store.workflows.getRun('wr_1')).toEqual(
      run('wr_1', { status: 'completed', output: { n: 1, a: 'x' }, updatedAt: at(9), finishedAt: at(9) }),
    );
    expect(
      await store.workflows.finishRun('wr_1', { status: 'failed', output: null, error: 'late', at: at(10) }),
    ).toBe(false);
    expect(await store.workflows.updateStep(step('wr_1', 'b', 1, { status: 'running' }), at(11))).toBe(false);
    expect(await store.workflows.getSteps('wr_1')).toEqual(threeSteps('wr_1'));
    expect((await store.workflows.getRun('wr_1'))?.updatedAt).toBe(at(9));
    expect(
      await store.workflows.finishRun('wr_none', { status: 'failed', output: null, error: 'x', at: at(1) }),
    ).toBe(false);
  });

  it('cancels the steps in the statuses the caller names, in the same write as the run', async () => {
    const { store } = await open();
    await store.workflows.createRun(run('wr_1'), threeSteps('wr_1'));
    const ran = step('wr_1', 'fan', 0, { call: null, status: 'running', attempts: 1, startedAt: at(1) });
    const done = step('wr_1', 'b', 1, {
      parent: 'fan',
      status: 'completed',
      attempts: 1,
      startedAt: at(1),
      finishedAt: at(2),
    });
    await store.workflows.updateStep(ran, at(1));
    await store.workflows.updateStep(done, at(2));
    expect(
      await store.workflows.finishRun('wr_1', {
        status: 'cancelled',
        output: null,
        error: 'cancelled by admin',
        at: at(5),
        cancelSteps: ['pending', 'running'],
      }),
    ).toBe(true);
    expect(await store.workflows.getSteps('wr_1')).toEqual([
      { ...ran, status: 'cancelled', finishedAt: at(5) },
      done,
      step('wr_1', 'a', 2, { parent: 'fan', status: 'cancelled', finishedAt: at(5) }),
    ]);
    // Without cancelSteps an ended run's steps stay as they were.
    await store.workflows.createRun(run('wr_2'), threeSteps('wr_2'));
    await store.workflows.finishRun('wr_2', { status: 'failed', output: null, error: 'x', at: at(6) });
    expect(await store.workflows.getSteps('wr_2')).toEqual(threeSteps('wr_2'));
  });

  it('lists runs newest first by id, filtered by agent and status, up to the limit', async () => {
    const { store } = await open();
    await store.workflows.createRun(run('wr_1'), []);
    await store.workflows.createRun(run('wr_2', { agentId: null, startedBy: 'admin' }), []);
    await store.workflows.createRun(run('wr_3'), []);
    await store.workflows.createRun(run('wr_4', { agentId: 'ag_2', startedBy: 'agent:ag_2' }), []);
    await store.workflows.finishRun('wr_3', { status: 'failed', output: null, error: 'x', at: at(1) });
    const ids = async (f: Parameters<typeof store.workflows.listRuns>[0]) =>
      (await store.workflows.listRuns(f)).map((r) => r.id);
    expect(await ids({ limit: 10 })).toEqual(['wr_4', 'wr_3', 'wr_2', 'wr_1']);
    expect(await ids({ limit: 1 })).toEqual(['wr_4']);
    expect(await ids({ agentId: 'ag_1', limit: 10 })).toEqual(['wr_3', 'wr_1']);
    expect(await ids({ status: 'running', limit: 10 })).toEqual(['wr_4', 'wr_2', 'wr_1']);
    expect(await ids({ agentId: 'ag_1', status: 'failed', limit: 10 })).toEqual(['wr_3']);
    expect(await ids({ agentId: 'ag_9', limit: 10 })).toEqual([]);
    expect((await store.workflows.listRuns({ status: 'failed', limit: 1 }))[0]).toEqual(
      run('wr_3', { status: 'failed', error: 'x', updatedAt: at(1), finishedAt: at(1) }),
    );
  });

  it('records one end per run when three nodes end it and write its steps at once', async () => {
    const { store, peer } = await open();
    const nodes = [store, await peer(), await peer()];
    for (let round = 0; round < 4; round++) {
      const id = `wr_race_${round}`;
      await store.workflows.createRun(run(id), threeSteps(id));
      const ends = Array.from({ length: 12 }, (_, i) =>
        nodes[i % 3].workflows.finishRun(id, {
          status: i % 2 ? 'cancelled' : 'failed',
          output: null,
          error: `end ${i}`,
          at: at(100 + i),
          ...(i % 2 ? { cancelSteps: ['pending', 'running'] as const } : {}),
        }),
      );
      const writes = Array.from({ length: 12 }, (_, i) =>
        nodes[(i + 1) % 3].workflows.updateStep(
          step(id, 'b', 1, { parent: 'fan', status: 'running', attempts: i + 1, startedAt: at(50) }),
          at(50 + i),
        ),
      );
      const [ended, wrote] = await Promise.all([Promise.all(ends), Promise.all(writes)]);
      expect(ended.filter(Boolean)).toHaveLength(1);
      const winner = ended.indexOf(true);
      const final = await nodes[2].workflows.getRun(id);
      expect(final).toMatchObject({ error: `end ${winner}`, finishedAt: at(100 + winner) });
      const steps = await nodes[1].workflows.getSteps(id);
      const b = steps.find((s) => s.stepId === 'b')!;
      if (final!.status === 'cancelled') {
        // The cancel came after every step write that was accepted: no step is left running.
        expect(steps.every((s) => s.status === 'cancelled' && s.finishedAt === at(100 + winner))).toBe(true);
      } else {
        expect(['pending', 'running']).toContain(b.status);
      }
      // A step write was accepted only while the run was running, so its attempt count is one a
      // writer sent, and no write landed after the end.
      expect(b.attempts === 0 || wrote[b.attempts - 1]).toBe(true);
    }
  });
});

describeStores('workflow run ownership (leases)', (open) => {
  const owned = (id: string, node: string, lease: string) => run(id, { nodeId: node, leaseExpiresAt: lease });

  it('claims only runs with no lease, an ended lease, or its own; every running run without a horizon', async () => {
    const { store } = await open();
    await store.workflows.createRun(owned('wr_live', 'node_a', at(30)), []);
    await store.workflows.createRun(owned('wr_dead', 'node_b', at(5)), []);
    await store.workflows.createRun(run('wr_none'), []);
    await store.workflows.createRun(owned('wr_mine', 'node_c', at(30)), []);
    await store.workflows.createRun(owned('wr_over', 'node_b', at(5)), []);
    await store.workflows.finishRun('wr_over', { status: 'completed', output: null, error: null, at: at(6) });

    const claimed = await store.workflows.claimRuns('node_c', at(40), at(10));
    expect(claimed.map((r) => r.id)).toEqual(['wr_dead', 'wr_mine', 'wr_none']);
    expect(claimed.every((r) => r.nodeId === 'node_c' && r.leaseExpiresAt === at(40))).toBe(true);
    expect(await store.workflows.getRun('wr_live')).toMatchObject({
      nodeId: 'node_a',
      leaseExpiresAt: at(30),
    });
    expect((await store.workflows.getRun('wr_over'))?.nodeId).toBe('node_b');

    // One node alone (no horizon): every running run, whatever its lease; no lease kept.
    const all = await store.workflows.claimRuns('node_d', null);
    expect(all.map((r) => r.id)).toEqual(['wr_dead', 'wr_live', 'wr_mine', 'wr_none']);
    const after = await store.workflows.getRun('wr_live');
    expect(after?.nodeId).toBe('node_d');
    expect(after?.leaseExpiresAt).toBeUndefined();
  });

  it('renews only the leases the node still holds on running runs, in one write', async () => {
    const { store } = await open();
    await store.workflows.createRun(owned('wr_1', 'node_a', at(10)), []);
    await store.workflows.createRun(owned('wr_2', 'node_a', at(10)), []);
    await store.workflows.createRun(owned('wr_3', 'node_b', at(10)), []);
    await store.workflows.createRun(owned('wr_4', 'node_a', at(10)), []);
    await store.workflows.finishRun('wr_4', { status: 'failed', output: null, error: 'x', at: at(2) });
    expect(await store.workflows.renewLeases('node_a', [], at(20))).toEqual([]);
    expect(
      await store.workflows.renewLeases('node_a', ['wr_1', 'wr_2', 'wr_3', 'wr_4', 'wr_x'], at(20)),
    ).toEqual(['wr_1', 'wr_2']);
    expect((await store.workflows.getRun('wr_1'))?.leaseExpiresAt).toBe(at(20));
    expect((await store.workflows.getRun('wr_3'))?.leaseExpiresAt).toBe(at(10));
    expect((await store.workflows.getRun('wr_4'))?.leaseExpiresAt).toBe(at(10));
  });

  it('fences a node whose lease was taken over: its step writes and its end are refused', async () => {
    const { store, peer } = await open();
    const other = await peer();
    await store.workflows.createRun(owned('wr_f', 'node_a', at(10)), threeSteps('wr_f'));
    // node_a stalls past its lease; node_b (another store on the same database) takes the run over.
    const taken = await other.workflows.claimRuns('node_b', at(40), at(20));
    expect(taken.map((r) => r.id)).toEqual(['wr_f']);
    const write = step('wr_f', 'b', 1, { parent: 'fan', status: 'completed', attempts: 1, output: 'stale' });
    expect(await store.workflows.updateStep(write, at(21), 'node_a')).toBe(false);
    expect(await store.workflows.renewLeases('node_a', ['wr_f'], at(50))).toEqual([]);
    expect(
      await store.workflows.finishRun(
        'wr_f',
        { status: 'completed', output: 'stale', error: null, at: at(22) },
        'node_a',
      ),
    ).toBe(false);
    expect((await other.workflows.getSteps('wr_f')).find((s) => s.stepId === 'b')?.status).toBe('pending');
    // The new owner writes; a cancel (no owner named) works from any node.
    expect(await other.workflows.updateStep({ ...write, output: 'fresh' }, at(23), 'node_b')).toBe(true);
    expect(
      await store.workflows.finishRun('wr_f', { status: 'cancelled', output: null, error: 'c', at: at(24) }),
    ).toBe(true);
    expect(await other.workflows.getRun('wr_f')).toMatchObject({ status: 'cancelled', nodeId: 'node_b' });
  });

  it('gives each expired run to exactly one of several nodes claiming at once', async () => {
    const { store, peer } = await open();
    const nodes = [store, await peer(), await peer()];
    for (let i = 0; i < 20; i++) await store.workflows.createRun(owned(`wr_c${i}`, 'node_dead', at(1)), []);
    const claims = await Promise.all(
      Array.from({ length: 9 }, (_, i) => nodes[i % 3].workflows.claimRuns(`node_${i}`, at(60), at(30))),
    );
    const got = claims.flatMap((c) => c.map((r) => r.id)).sort();
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => `wr_c${i}`).sort());
    for (const [i, c] of claims.entries()) {
      for (const r of c) expect((await store.workflows.getRun(r.id))?.nodeId).toBe(`node_${i}`);
    }
  });
});
