/** Shared context as users see it over REST: versions, compare-and-set, scopes, expiry, history. */
import { describe, expect, it } from 'vitest';
import { hubPerTest, type TestHub } from './helpers/hub.js';
import { TestClock } from './helpers/clock.js';
import { channels } from '../src/bus/bus.js';
import type { ContextChangedEvent } from '../src/bus/context-events.js';

let t: TestHub | undefined;
const hubs = hubPerTest();

const put = (hub: TestHub, token: string, path: string, body: unknown) =>
  hub.api('PUT', `/api/v1/context/${path}`, { token, body });
const get = (hub: TestHub, token: string, path: string) =>
  hub.api('GET', `/api/v1/context/${path}`, { token });

describe('shared context', () => {
  it('sets and reads JSON values with rising versions; a stale compare-and-set gets the current version', async () => {
    t = await hubs.start();
    const a = await t.register('A');
    const b = await t.register('B');
    const first = await put(t, a.token, 'global/plan', { value: { step: 1, files: ['a.ts'] } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ scope: 'global', key: 'plan', version: 1, updated_by: a.id });

    const read = await get(t, b.token, 'global/plan');
    expect(read.body).toMatchObject({ value: { step: 1, files: ['a.ts'] }, version: 1 });

    // B writes on version 1; A's write based on version 1 is now stale.
    expect(
      (await put(t, b.token, 'global/plan', { value: { step: 2 }, expected_version: 1 })).body.version,
    ).toBe(2);
    const stale = await put(t, a.token, 'global/plan', { value: { step: 99 }, expected_version: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('conflict');
    expect(stale.body.error.details).toMatchObject({ current_version: 2, current_value: { step: 2 } });
    expect((await get(t, a.token, 'global/plan')).body.value).toEqual({ step: 2 });

    // expected_version 0: create only if absent.
    expect((await put(t, a.token, 'global/lock', { value: 'a', expected_version: 0 })).status).toBe(200);
    const taken = await put(t, b.token, 'global/lock', { value: 'b', expected_version: 0 });
    expect(taken.status).toBe(409);
    expect(taken.body.error.details.current_version).toBe(1);
  });

  it('lets exactly one of many concurrent compare-and-set writers win', async () => {
    t = await hubs.start();
    const agents = await Promise.all(Array.from({ length: 20 }, (_, i) => t!.register(`racer-${i}`)));
    await put(t, agents[0]!.token, 'global/leader', { value: null });
    const results = await Promise.all(
      agents.map((a) => put(t!, a.token, 'global/leader', { value: a.id, expected_version: 1 })),
    );
    const winners = results.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(19);
    const now = await get(t, agents[0]!.token, 'global/leader');
    expect(now.body).toMatchObject({ version: 2, value: winners[0]!.body.value });
  });

  it('keeps a change history per key, through deletes', async () => {
    t = await hubs.start();
    const a = await t.register('A');
    await put(t, a.token, 'global/k', { value: 1 });
    await put(t, a.token, 'global/k', { value: 2 });
    const del = await t.api('DELETE', '/api/v1/context/global/k', { token: a.token });
    expect(del.body).toEqual({ deleted: true, version: 3 });
    expect((await get(t, a.token, 'global/k')).status).toBe(404);
    expect((await put(t, a.token, 'global/k', { value: 4 })).body.version).toBe(4);
    const history = await get(t, a.token, 'global/k/history');
    expect(history.body.changes.map((c: any) => [c.version, c.change, c.value])).toEqual([
      [4, 'set', 4],
      [3, 'delete', null],
      [2, 'set', 2],
      [1, 'set', 1],
    ]);
    expect(
      (await t.api('DELETE', '/api/v1/context/global/k', { token: a.token, body: { expected_version: 1 } }))
        .status,
    ).toBe(409);
  });

  it('expires keys with ttl_seconds: they read as not found, and the sweep records the expiry', async () => {
    const clock = new TestClock();
    t = await hubs.start({}, { clock });
    const a = await t.register('A');
    const set = await put(t, a.token, 'global/temp', { value: 'soon gone', ttl_seconds: 60 });
    expect(set.body.expires_at).toBe(new Date(clock.ms + 60_000).toISOString());
    clock.advance(30);
    expect((await get(t, a.token, 'global/temp')).status).toBe(200);
    clock.advance(31);
    expect((await get(t, a.token, 'global/temp')).status).toBe(404);
    expect((await get(t, a.token, 'global')).body.entries).toEqual([]);
    expect(await t.hub.services.context.sweep()).toBe(1);
    const history = await get(t, a.token, 'global/temp/history');
    expect(history.body.changes[0]).toMatchObject({ change: 'expire', version: 2 });
    // An expired key counts as absent for compare-and-set.
    expect((await put(t, a.token, 'global/temp', { value: 'again', expected_version: 0 })).body.version).toBe(
      3,
    );
  });

  it('applies scope rules: project is your own, agent scope is written only by its agent', async () => {
    t = await hubs.start();
    const a = await t.register('A', { project: 'alpha' });
    const b = await t.register('B', { project: 'beta' });
    await put(t, a.token, 'project/goal', { value: 'ship' });
    expect((await get(t, b.token, 'project/goal')).status).toBe(404);
    const cross = await get(t, b.token, 'project/goal?scope_id=alpha');
    expect(cross.status).toBe(403);
    expect((await get(t, a.token, 'project/goal')).body).toMatchObject({ scope_id: 'alpha', value: 'ship' });

    await put(t, a.token, 'agent/persona', { value: { tone: 'terse' } });
    expect((await get(t, b.token, `agent/persona?scope_id=${a.id}`)).body.value).toEqual({ tone: 'terse' });
    const forged = await put(t, b.token, 'agent/persona', { scope_id: a.id, value: { tone: 'rude' } });
    expect(forged.status).toBe(403);
    expect(forged.body.error.message).toContain(a.id);
    expect((await get(t, a.token, 'agent/persona')).body).toMatchObject({
      version: 1,
      value: { tone: 'terse' },
    });
    // The admin may write it.
    expect((await put(t, t.adminToken, 'agent/persona', { scope_id: a.id, value: 'x' })).status).toBe(200);

    const session = await put(t, a.token, 'session/notes', { value: 'n' });
    expect(session.status).toBe(400);
    expect(session.body.error.message).toContain('scope_id');
  });

  it('refuses bad input with errors naming the field, and stores nothing', async () => {
    t = await hubs.start();
    const a = await t.register('A');
    const cases: Array<[string, unknown, number, string]> = [
      ['global/bad key!', { value: 1 }, 400, 'key'],
      ['global/k', {}, 400, 'value'],
      ['global/k', { value: 1, ttl_seconds: -5 }, 400, 'ttl_seconds'],
      ['global/k', { value: 1, expected_version: 'one' }, 400, 'expected_version'],
      ['global/k', { value: 1, colour: 'red' }, 400, 'colour'],
      ['galaxy/k', { value: 1 }, 400, 'scope'],
      ['global/k', { value: 'x'.repeat(70_000) }, 413, 'value'],
    ];
    for (const [path, body, status, field] of cases) {
      const res = await put(t, a.token, path, body);
      expect(res.status, path + JSON.stringify(body).slice(0, 60)).toBe(status);
      expect(res.body.error.message).toContain(field);
    }
    expect((await get(t, a.token, 'global')).body.entries).toEqual([]);
    expect((await t.api('GET', '/api/v1/context/global/k')).status).toBe(401);
  });

  it('lists a scope by prefix, page by page', async () => {
    t = await hubs.start();
    const a = await t.register('A');
    for (const k of ['build.a', 'build.b', 'build.c', 'deploy'])
      await put(t, a.token, `global/${k}`, { value: k });
    const page1 = await get(t, a.token, 'global?prefix=build.&limit=2');
    expect(page1.body.entries.map((e: any) => e.key)).toEqual(['build.a', 'build.b']);
    const page2 = await get(t, a.token, `global?prefix=build.&limit=2&after=${page1.body.next_after}`);
    expect(page2.body.entries.map((e: any) => e.key)).toEqual(['build.c']);
    expect(page2.body.next_after).toBeNull();
  });

  it('a burst of 16 concurrent sets with one stale compare-and-set and one bad call stores exactly the other 14', async () => {
    t = await hubs.start();
    const a = await t.register('A');
    const events: ContextChangedEvent[] = [];
    const off = t.hub.bus.subscribeLocal(channels.all, (e) => {
      if (e.type === 'context.changed') events.push(e);
    });
    const bodies = Array.from({ length: 16 }, (_, i): Record<string, unknown> => {
      if (i === 5) return { value: { lane: i }, expected_version: 3 }; // the key is absent: stale
      if (i === 11) return { value: { lane: i }, ttl_seconds: -1 }; // bad input
      return {
        value: { lane: i },
        ...(i % 2 ? { expected_version: 0 } : {}),
        ...(i === 2 ? { ttl_seconds: 600 } : {}),
      };
    });
    const results = await Promise.all(bodies.map((body, i) => put(t!, a.token, `global/burst-${i}`, body)));
    off();
    expect(results.map((r) => r.status)).toEqual(
      bodies.map((_, i) => (i === 5 ? 409 : i === 11 ? 400 : 200)),
    );
    expect(results[5]!.body.error.details).toMatchObject({ current_version: 0 });
    expect(results[11]!.body.error.message).toContain('ttl_seconds');
    const kept = bodies.map((_, i) => i).filter((i) => i !== 5 && i !== 11);
    for (const i of kept) {
      expect(results[i]!.body).toMatchObject({ key: `burst-${i}`, version: 1, value: { lane: i } });
    }
    expect(results[2]!.body.expires_at).not.toBeNull();
    // What is stored is exactly what was acknowledged: the 14 keys, each with one history record.
    const listed = await get(t, a.token, 'global?prefix=burst-');
    expect(listed.body.entries.map((e: any) => e.key).sort()).toEqual(kept.map((i) => `burst-${i}`).sort());
    for (const e of listed.body.entries) expect(e).toEqual(results[Number(e.key.slice(6))]!.body);
    for (const i of kept) {
      const h = await get(t, a.token, `global/burst-${i}/history`);
      expect(h.body.changes.map((c: any) => [c.version, c.change, c.value])).toEqual([
        [1, 'set', { lane: i }],
      ]);
    }
    for (const i of [5, 11]) {
      expect((await get(t, a.token, `global/burst-${i}`)).status).toBe(404);
      expect((await get(t, a.token, `global/burst-${i}/history`)).status).toBe(404);
    }
    // One change event per stored key, none for the refused ones.
    expect(events.map((e) => e.key).sort()).toEqual(kept.map((i) => `burst-${i}`).sort());
    for (const e of events) expect(e).toMatchObject({ change: 'set', version: 1, by: a.id });
  });
});
