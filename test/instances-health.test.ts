/** The health loop: a busy instance that goes silent is marked stuck, and an interrupt brings it back. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { channels } from '../src/bus/bus.js';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { killGroupQuietly, spawnScripted, until } from './helpers/instances.js';

let t: TestHub;
let boss: { id: string; token: string };
const pids: number[] = [];

beforeAll(async () => {
  t = await startTestHub({
    instances: { stopGraceSeconds: 0.5, stuckSeconds: 0.5, checkIntervalSeconds: 0.1 },
  });
  boss = await t.register('boss');
});

afterAll(async () => {
  await t.close();
  for (const pid of pids) killGroupQuietly(pid);
});

it('marks a silent busy instance stuck with the reason, and it recovers on its next event', async () => {
  const inst = await spawnScripted(t, boss.token, { turns: [{ hang: true }, { reply: 'ok' }] });
  pids.push(inst.pid);
  const seen: string[] = [];
  t.hub.bus.subscribe(channels.all, (e) => seen.push(e.type));
  await t.api('POST', `/api/v1/instances/${inst.instance_id}/send`, {
    token: boss.token,
    body: { message: 'x', wait: false },
  });
  const stuck = await until('stuck', async () => {
    const s = await t.api('GET', `/api/v1/instances/${inst.instance_id}`, { token: boss.token });
    return s.body.status === 'stuck' ? s.body : null;
  });
  expect(stuck.reason).toContain('no output');
  expect(seen).toContain('instance.stuck');
  await t.api('POST', `/api/v1/instances/${inst.instance_id}/interrupt`, { token: boss.token });
  const next = await t.api('POST', `/api/v1/instances/${inst.instance_id}/send`, {
    token: boss.token,
    body: { message: 'y' },
  });
  expect(next.body).toMatchObject({ status: 'completed', text: 'ok' });
  const s = await t.api('GET', `/api/v1/instances/${inst.instance_id}`, { token: boss.token });
  expect(s.body.status).toBe('idle');
});
