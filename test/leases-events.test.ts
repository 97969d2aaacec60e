/**
 * Who hears of a lease: its holder and every agent holding an overlapping live lease get
 * lease.acquired / released / expired on their WebSocket; others do not. And the per-agent cap.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { hubPerTest, type TestHub } from './helpers/hub.js';
import { TestClock } from './helpers/clock.js';

let t: TestHub | undefined;
const hubs = hubPerTest();

const acquire = (hub: TestHub, token: string, body: Record<string, unknown>) =>
  hub.api('POST', '/api/v1/leases', { token, body });

/** Lease frames a socket received, in order; `ready` resolves once replay is done. */
function leaseFrames(hub: TestHub, agent: { id: string; token: string }) {
  const ws = new WebSocket(`${hub.url.replace('http', 'ws')}/ws/${agent.id}?token=${agent.token}`);
  const frames: any[] = [];
  const ready = new Promise<void>((resolve) =>
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data));
      if (frame.type === 'ready') resolve();
      if (String(frame.type).startsWith('lease.')) frames.push(frame);
    }),
  );
  return { ws, frames, ready };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 10));
}

describe('lease events', () => {
  it('reach the holders of overlapping leases (acquired, released, expired), not unrelated agents', async () => {
    const clock = new TestClock();
    t = await hubs.start({}, { clock });
    const a = await t.register('docs-writer');
    const b = await t.register('api-reader');
    const c = await t.register('elsewhere');
    await acquire(t, b.token, { patterns: ['src/api/**'], mode: 'shared', ttl_seconds: 3600 });
    await acquire(t, c.token, { patterns: ['web/**'], ttl_seconds: 3600 });
    const bs = leaseFrames(t, b);
    const cs = leaseFrames(t, c);
    await Promise.all([bs.ready, cs.ready]);

    const mine = await acquire(t, a.token, {
      patterns: ['src/api/routes.ts'],
      mode: 'shared',
      ttl_seconds: 60,
    });
    expect(mine.status).toBe(201);
    await until(() => bs.frames.length >= 1);
    expect(bs.frames[0]).toMatchObject({
      type: 'lease.acquired',
      lease: { lease_id: mine.body.lease_id, holder: a.id },
    });

    await t.api('DELETE', `/api/v1/leases/${mine.body.lease_id}`, { token: a.token });
    await until(() => bs.frames.length >= 2);
    expect(bs.frames[1]).toMatchObject({ type: 'lease.released', lease: { lease_id: mine.body.lease_id } });

    const short = await acquire(t, a.token, { patterns: ['src/**'], mode: 'shared', ttl_seconds: 10 });
    clock.advance(11);
    await t.hub.services.leases.sweep();
    await until(() => bs.frames.length >= 4);
    expect(bs.frames.slice(2).map((f) => [f.type, f.lease.lease_id])).toEqual([
      ['lease.acquired', short.body.lease_id],
      ['lease.expired', short.body.lease_id],
    ]);

    // c's lease (web/**) overlaps none of these: it heard nothing of a's leases. Its own lease's
    // events still reach it, which also shows its socket was listening all along.
    const own = await acquire(t, c.token, { patterns: ['web/index.html'], ttl_seconds: 60 });
    await until(() => cs.frames.length >= 1);
    expect(cs.frames.map((f) => f.lease.lease_id)).toEqual([own.body.lease_id]);
    bs.ws.close();
    cs.ws.close();
  });
});

describe('per-agent lease cap', () => {
  it('refuses a lease past leases.maxPerAgent with a clear error; releasing one makes room', async () => {
    t = await hubs.start({ leases: { maxPerAgent: 3 } });
    const a = await t.register('greedy');
    const b = await t.register('modest');
    const ids: string[] = [];
    for (const i of [1, 2, 3]) {
      const res = await acquire(t, a.token, { patterns: [`pkg${i}/**`] });
      expect(res.status).toBe(201);
      ids.push(res.body.lease_id);
    }
    const fourth = await acquire(t, a.token, { patterns: ['pkg4/**'] });
    expect(fourth.status).toBe(409);
    expect(fourth.body.error.message).toMatch(/already holds 3 leases.*leases\.maxPerAgent = 3/);
    expect(fourth.body.error.details).toMatchObject({ held: 3, max: 3 });
    const held = await t.api('GET', `/api/v1/leases?holder=${a.id}`, { token: a.token });
    expect(held.body.total).toBe(3);
    // The cap is per agent: another agent is not affected.
    expect((await acquire(t, b.token, { patterns: ['pkg4/**'] })).status).toBe(201);

    await t.api('DELETE', `/api/v1/leases/${ids[0]}`, { token: a.token });
    expect((await acquire(t, a.token, { patterns: ['pkg5/**'] })).status).toBe(201);
  });
});
