/**
 * TaskStore conformance: the same calls give the same records on SQLite and PostgreSQL — filters,
 * ordering, check-and-set writes, claims, the attempt history and its statistics — and claims stay
 * exact when the competing calls come from several nodes on one database.
 */
import { expect, it } from 'vitest';
import { HubError } from '../../src/core/errors.js';
import { created, withAttempts } from '../../src/domain/tasks/attempts.js';
import * as t from '../../src/domain/tasks/transitions.js';
import type { TaskRecord } from '../../src/store/tasks.js';
import type { Store } from '../../src/store/types.js';
import { describeStores } from '../helpers/stores.js';
import { iso, T0, taskRecord } from '../helpers/task-record.js';

const task = taskRecord;

const put = (s: Store, rec: TaskRecord) => s.tasks.insert(created(rec));
const claimBy = (agent: string, atMs: number, caps: string[] = []) =>
  withAttempts(t.claim(agent, caps, atMs));

describeStores('task store', (open) => {
  it('stores a task and reads back the same record, JSON fields included', async () => {
    const { store } = await open();
    const rec = task('t01', {
      description: 'd',
      requiredCapabilities: ['py', 'sql'],
      deadline: iso(T0 + 3_600_000),
      threadId: 'th1',
      priority: 5,
    });
    expect(await put(store, rec)).toEqual(rec);
    expect(await store.tasks.get('t01')).toEqual(rec);
    expect(Object.keys((await store.tasks.get('t01'))!.input as object)).toEqual(['z', 'a']);
    expect(await store.tasks.get('nope')).toBeUndefined();
  });

  it('lists by every filter, newest id first, up to the limit', async () => {
    const { store } = await open();
    await put(store, task('t01', { requiredCapabilities: ['py'] }));
    await put(store, task('t02', { project: 'p2', createdBy: 'other' }));
    await put(store, task('t03', { parentId: 't01', threadId: 'th1' }));
    await put(store, claimBy('w1', T0 + 1000)(task('t04')).task);
    const ids = async (f: Partial<Parameters<Store['tasks']['list']>[0]>) =>
      (await store.tasks.list({ limit: 100, ...f })).map((x) => x.id);
    expect(await ids({})).toEqual(['t04', 't03', 't02', 't01']);
    expect(await ids({ limit: 2 })).toEqual(['t04', 't03']);
    expect(await ids({ project: 'p1' })).toEqual(['t04', 't03', 't01']);
    expect(await ids({ status: ['claimed'] })).toEqual(['t04']);
    expect(await ids({ status: ['open', 'claimed'], project: 'p2' })).toEqual(['t02']);
    expect(await ids({ assignee: 'w1' })).toEqual(['t04']);
    expect(await ids({ createdBy: 'other' })).toEqual(['t02']);
    expect(await ids({ parentId: 't01' })).toEqual(['t03']);
    expect(await ids({ threadId: 'th1' })).toEqual(['t03']);
    expect(await ids({ capability: 'py' })).toEqual(['t01']);
    expect(await ids({ capability: 'go' })).toEqual([]);
    expect((await store.tasks.children('t01')).map((x) => x.id)).toEqual(['t03']);
    expect(await store.tasks.children('t02')).toEqual([]);
  });

  it('writes a decided change with the version bumped, and nothing for an unchanged or refused one', async () => {
    const { store } = await open();
    await put(store, task('t01'));
    const claimed = await store.tasks.mutate('t01', claimBy('w1', T0 + 1000));
    expect(claimed).toMatchObject({ status: 'claimed', assignee: 'w1', attempts: 1, version: 2 });
    expect(await store.tasks.get('t01')).toEqual(claimed);
    // a decision that changes nothing leaves the row (and its version) alone
    expect(
      await store.tasks.mutate(
        't01',
        withAttempts((cur) => cur),
      ),
    ).toEqual(claimed);
    // a refusal rolls back and reaches the caller
    const err = await store.tasks.mutate('t01', claimBy('w2', T0 + 2000)).catch((e) => e);
    expect(err).toBeInstanceOf(HubError);
    expect(err.code).toBe('conflict');
    expect(await store.tasks.get('t01')).toEqual(claimed);
    const missing = await store.tasks.mutate('nope', claimBy('w1', T0)).catch((e) => e);
    expect(missing.code).toBe('not_found');
  });

  it('claims the best open task the agent can do: priority, then age; not late, not elsewhere', async () => {
    const { store } = await open();
    await put(store, task('t01', { priority: 1 }));
    await put(store, task('t02', { priority: 5, requiredCapabilities: ['go'] }));
    await put(store, task('t03', { priority: 5 }));
    await put(store, task('t04', { priority: 9, deadline: iso(T0 + 500) }));
    await put(store, task('t05', { priority: 9, project: 'p2' }));
    await put(store, task('t06', { priority: 5 }));
    const now = iso(T0 + 1000);
    const next = (agent: string, caps: string[]) =>
      store.tasks.claimNext('p1', caps, now, claimBy(agent, T0 + 1000, caps));
    expect((await next('w1', ['go']))?.id).toBe('t02');
    expect((await next('w2', []))?.id).toBe('t03');
    expect((await next('w3', []))?.id).toBe('t06');
    expect(await store.tasks.get('t06')).toMatchObject({ status: 'claimed', assignee: 'w3', version: 2 });
    expect((await next('w4', []))?.id).toBe('t01');
    expect(await next('w5', ['go'])).toBeUndefined();
    expect(await store.tasks.claimNext('p3', [], now, claimBy('w6', T0))).toBeUndefined();
  });

  it('finds lapsed leases and missed deadlines, soonest first, up to the limit; counts held tasks', async () => {
    const { store } = await open();
    await put(store, task('t01', { deadline: iso(T0 + 10_000) }));
    await put(store, task('t02', { deadline: iso(T0 + 5_000) }));
    await put(store, task('t03', { deadline: iso(T0 + 50_000) }));
    await put(store, task('t04', { deadline: iso(T0 + 1_000), status: 'completed' }));
    await put(store, claimBy('w1', T0)(task('t05', { leaseSeconds: 30 })).task);
    await put(store, claimBy('w1', T0)(task('t06', { leaseSeconds: 10 })).task);
    await put(store, claimBy('w2', T0)(task('t07', { leaseSeconds: 100 })).task);
    expect(await store.tasks.expiredLeases(iso(T0 + 40_000), 10)).toEqual(['t06', 't05']);
    expect(await store.tasks.expiredLeases(iso(T0 + 40_000), 1)).toEqual(['t06']);
    expect(await store.tasks.expiredLeases(iso(T0 + 5_000), 10)).toEqual([]);
    expect(await store.tasks.overdue(iso(T0 + 20_000), 10)).toEqual(['t02', 't01']);
    expect(await store.tasks.overdue(iso(T0 + 20_000), 1)).toEqual(['t02']);
    const counts = await store.tasks.activeCounts(['w1', 'w2', 'w3']);
    expect([...counts]).toEqual([
      ['w1', 2],
      ['w2', 1],
      ['w3', 0],
    ]);
    expect((await store.tasks.activeCounts([])).size).toBe(0);
  });

  it('keeps the attempt history as the domain decides it, and reads statistics from it', async () => {
    const { store } = await open();
    await put(store, task('t01', { leaseSeconds: 10 }));
    await put(store, task('t02'));
    await store.tasks.mutate('t01', claimBy('w1', T0 + 1000));
    await store.tasks.mutate('t01', withAttempts(t.update('w1', T0 + 2000, 0.5)));
    await store.tasks.mutate('t01', withAttempts(t.expire(T0 + 20_000)));
    await store.tasks.mutate('t01', claimBy('w2', T0 + 30_000));
    await store.tasks.mutate('t01', withAttempts(t.complete('w2', T0 + 34_000, { ok: 1 }, [])));
    await store.tasks.mutate('t02', claimBy('w1', T0 + 1000));
    await store.tasks.mutate('t02', withAttempts(t.fail('w1', T0 + 2000, 'broke', false)));
    expect(await store.tasks.attempts('t01')).toEqual([
      {
        attempt: 1,
        agentId: 'w1',
        claimedAt: iso(T0 + 1000),
        startedAt: iso(T0 + 2000),
        endedAt: iso(T0 + 20_000),
        outcome: 'reopened',
      },
      {
        attempt: 2,
        agentId: 'w2',
        claimedAt: iso(T0 + 30_000),
        // completing straight from claimed starts the work at that moment
        startedAt: iso(T0 + 34_000),
        endedAt: iso(T0 + 34_000),
        outcome: 'completed',
      },
    ]);
    expect(await store.tasks.attempts('nope')).toEqual([]);
    expect(await store.tasks.stats()).toEqual([
      { agentId: 'w1', claimed: 2, completed: 0, failed: 1, reopened: 1, meanSecondsToComplete: null },
      { agentId: 'w2', claimed: 1, completed: 1, failed: 0, reopened: 0, meanSecondsToComplete: 4 },
    ]);
    expect((await store.tasks.stats(['w2'])).map((s) => s.agentId)).toEqual(['w2']);
    expect(await store.tasks.stats(['nobody'])).toEqual([]);

    const reopened = await store.tasks.reopened({ minReopens: 1, limit: 10 });
    expect(reopened).toEqual([{ task: await store.tasks.get('t01'), reopens: 1, agents: ['w1', 'w2'] }]);
    expect(await store.tasks.reopened({ minReopens: 2, limit: 10 })).toEqual([]);
    expect(await store.tasks.reopened({ minReopens: 1, limit: 10, project: 'p2' })).toEqual([]);
    expect(await store.tasks.reopened({ minReopens: 1, limit: 10, since: iso(T0 + 20_001) })).toEqual([]);
    expect(await store.tasks.reopened({ minReopens: 1, limit: 10, until: iso(T0 + 20_000) })).toEqual([]);
    expect(
      (
        await store.tasks.reopened({
          minReopens: 1,
          limit: 10,
          since: iso(T0 + 20_000),
          until: iso(T0 + 20_001),
        })
      ).length,
    ).toBe(1);
  });

  it('a task created already claimed opens its first attempt', async () => {
    const { store } = await open();
    await put(store, claimBy('w1', T0 + 5)(task('t01')).task);
    expect(await store.tasks.attempts('t01')).toEqual([
      { attempt: 1, agentId: 'w1', claimedAt: iso(T0 + 5), startedAt: null, endedAt: null, outcome: null },
    ]);
  });

  it('50 concurrent claims of one task from three nodes: exactly one winner', async () => {
    const { store, peer } = await open();
    const nodes = [store, await peer(), await peer()];
    await put(store, task('t01'));
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => nodes[i % 3].tasks.mutate('t01', claimBy(`w${i}`, T0 + 1000))),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect((r.reason as HubError).code).toBe('conflict');
    }
    const winner = (won[0] as PromiseFulfilledResult<TaskRecord>).value;
    expect(await nodes[1].tasks.get('t01')).toEqual(winner);
    expect(winner).toMatchObject({ attempts: 1, version: 2 });
    expect(await store.tasks.attempts('t01')).toHaveLength(1);
  });

  it('30 concurrent claim-next calls from three nodes over 10 open tasks: each task claimed once', async () => {
    const { store, peer } = await open();
    const nodes = [store, await peer(), await peer()];
    for (let i = 0; i < 10; i++) await put(store, task(`t${String(i).padStart(2, '0')}`));
    const got = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        nodes[i % 3].tasks.claimNext('p1', [], iso(T0 + 1000), claimBy(`w${i}`, T0 + 1000)),
      ),
    );
    const claimed = got.filter((x): x is TaskRecord => x !== undefined);
    expect(claimed).toHaveLength(10);
    expect(new Set(claimed.map((x) => x.id)).size).toBe(10);
    const rows = await store.tasks.list({ limit: 100 });
    expect(rows.every((r) => r.status === 'claimed' && r.attempts === 1 && r.version === 2)).toBe(true);
  });
});
