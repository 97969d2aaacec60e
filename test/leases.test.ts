/** File leases over REST: exclusive and shared clashes on overlapping globs, expiry, renew, release, checks. */
import { describe, expect, it } from 'vitest';
import { hubPerTest, type TestHub } from './helpers/hub.js';
import { TestClock } from './helpers/clock.js';

let t: TestHub | undefined;
const hubs = hubPerTest();

const acquire = (hub: TestHub, token: string, body: Record<string, unknown>) =>
  hub.api('POST', '/api/v1/leases', { token, body });

describe('file leases', () => {
  it('refuses an overlapping exclusive lease, naming the holder, the patterns and the expiry; nothing is leased', async () => {
    t = await hubs.start();
    const a = await t.register('Alice');
    const b = await t.register('Bob');
    const held = await acquire(t, a.token, { patterns: ['src/api/**'], reason: 'refactoring the API' });
    expect(held.status).toBe(201);
    expect(held.body).toMatchObject({ holder: a.id, mode: 'exclusive', patterns: ['src/api/**'] });

    const clash = await acquire(t, b.token, { patterns: ['docs/**', 'src/*/routes.ts'] });
    expect(clash.status).toBe(409);
    expect(clash.body.error.code).toBe('conflict');
    expect(clash.body.error.message).toContain('Alice');
    expect(clash.body.error.message).toContain(held.body.expires_at);
    expect(clash.body.error.details).toMatchObject({
      holder: a.id,
      expires_at: held.body.expires_at,
      conflicts: [{ lease_id: held.body.lease_id, pattern: 'src/api/**', requested: 'src/*/routes.ts' }],
    });
    // All or nothing: docs/** was not leased either.
    const bobs = await t.api('GET', `/api/v1/leases?holder=${b.id}`, { token: b.token });
    expect(bobs.body.total).toBe(0);
    // Disjoint globs are fine.
    expect((await acquire(t, b.token, { patterns: ['src/*.md', 'docs/**'] })).status).toBe(201);
  });

  it('gives overlapping exclusive leases requested at once to exactly one agent', async () => {
    t = await hubs.start();
    const agents = await Promise.all(Array.from({ length: 20 }, (_, i) => t!.register(`racer-${i}`)));
    const results = await Promise.all(
      agents.map((a, i) => acquire(t!, a.token, { patterns: [i % 2 ? 'lib/**' : 'lib/*/core.ts'] })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(19);
    expect((await t.api('GET', '/api/v1/leases', { token: agents[0]!.token })).body.total).toBe(1);
  });

  it('lets shared leases stack but not meet an exclusive one', async () => {
    t = await hubs.start();
    const a = await t.register('A');
    const b = await t.register('B');
    const c = await t.register('C');
    expect((await acquire(t, a.token, { patterns: ['schema/*.sql'], mode: 'shared' })).status).toBe(201);
    expect((await acquire(t, b.token, { patterns: ['schema/**'], mode: 'shared' })).status).toBe(201);
    const excl = await acquire(t, c.token, { patterns: ['schema/001.sql'] });
    expect(excl.status).toBe(409);
    expect(excl.body.error.details.conflicts.map((x: any) => x.holder).sort()).toEqual([a.id, b.id].sort());
    // A holder's own leases never clash with each other: A's exclusive request meets only B's lease.
    const own = await acquire(t, a.token, { patterns: ['schema/001.sql'] });
    expect(own.body.error.details.conflicts.map((x: any) => x.holder)).toEqual([b.id]);
  });

  it('expires leases by themselves; renew extends, release frees at once', async () => {
    const clock = new TestClock();
    t = await hubs.start({}, { clock });
    const a = await t.register('A');
    const b = await t.register('B');
    const lease = (await acquire(t, a.token, { patterns: ['app.ts'], ttl_seconds: 60 })).body;
    clock.advance(50);
    const renewed = await t.api('POST', `/api/v1/leases/${lease.lease_id}/renew`, {
      token: a.token,
      body: {},
    });
    expect(renewed.body.expires_at).toBe(new Date(clock.ms + 60_000).toISOString());
    // Only the holder renews or releases.
    expect((await t.api('DELETE', `/api/v1/leases/${lease.lease_id}`, { token: b.token })).status).toBe(403);
    clock.advance(50);
    expect((await acquire(t, b.token, { patterns: ['*.ts'] })).status).toBe(409);
    clock.advance(11);
    // Expired: gone for checks and acquisitions even before the sweep.
    const check = await t.api('POST', '/api/v1/leases/check', {
      token: b.token,
      body: { paths: ['app.ts'] },
    });
    expect(check.body.blocked).toEqual([]);
    const bLease = await acquire(t, b.token, { patterns: ['*.ts'] });
    expect(bLease.status).toBe(201);
    expect(await t.hub.services.leases.sweep()).toBe(1);
    expect(
      (await t.api('POST', `/api/v1/leases/${lease.lease_id}/renew`, { token: a.token, body: {} })).status,
    ).toBe(404);

    const released = await t.api('DELETE', `/api/v1/leases/${bLease.body.lease_id}`, { token: b.token });
    expect(released.body).toEqual({ lease_id: bLease.body.lease_id, released: true });
    expect((await acquire(t, a.token, { patterns: ['app.ts'] })).status).toBe(201);
  });

  it('check_paths says who holds what, and blocks only on other agents’ exclusive leases', async () => {
    t = await hubs.start();
    const a = await t.register('A');
    const b = await t.register('B');
    await acquire(t, a.token, { patterns: ['lib/**'], reason: 'rewrite' });
    await acquire(t, b.token, { patterns: ['README.md'], mode: 'shared' });
    const res = await t.api('POST', '/api/v1/leases/check', {
      token: b.token,
      body: { paths: ['lib/x/y.ts', 'README.md', './free.txt'] },
    });
    expect(res.body.blocked).toEqual(['lib/x/y.ts']);
    expect(res.body.paths[0].leases[0]).toMatchObject({ holder: a.id, pattern: 'lib/**', reason: 'rewrite' });
    expect(res.body.paths[1]).toMatchObject({ blocked: false, leases: [{ holder: b.id, mode: 'shared' }] });
    expect(res.body.paths[2]).toEqual({ path: 'free.txt', blocked: false, leases: [] });
    const mine = await t.api('POST', '/api/v1/leases/check', {
      token: a.token,
      body: { paths: ['lib/x/y.ts'] },
    });
    expect(mine.body.blocked).toEqual([]);
    const byPath = await t.api('GET', '/api/v1/leases?path=lib/q.ts', { token: b.token });
    expect(byPath.body.leases.map((l: any) => l.holder)).toEqual([a.id]);
  });

  it('refuses bad input with errors naming the field, and leases nothing', async () => {
    t = await hubs.start();
    const a = await t.register('A');
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ patterns: [] }, 'patterns'],
      [{ patterns: ['/etc/**'] }, 'patterns.0'],
      [{ patterns: ['ok/**', 'src/{a,b}'] }, 'patterns.1'],
      [{ patterns: ['a/../b'] }, 'patterns.0'],
      [{ patterns: ['a'], mode: 'forever' }, 'mode'],
      [{ patterns: ['a'], ttl_seconds: 0 }, 'ttl_seconds'],
    ];
    for (const [body, field] of cases) {
      const res = await acquire(t, a.token, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.message).toContain(field);
    }
    expect((await t.api('GET', '/api/v1/leases', { token: a.token })).body.total).toBe(0);
    const badPath = await t.api('POST', '/api/v1/leases/check', {
      token: a.token,
      body: { paths: ['../x'] },
    });
    expect(badPath.status).toBe(400);
    expect(badPath.body.error.message).toContain('paths.0');
  });

  it('keeps projects apart', async () => {
    t = await hubs.start();
    const a = await t.register('A', { project: 'one' });
    const b = await t.register('B', { project: 'two' });
    await acquire(t, a.token, { patterns: ['**'] });
    expect((await acquire(t, b.token, { patterns: ['**'] })).status).toBe(201);
  });
});
