/** Presence and retirement as users see them through the API, with a clock the test moves. */
import { describe, expect, it } from 'vitest';
import { hubPerTest, type TestHub } from './helpers/hub.js';
import { TestClock } from './helpers/clock.js';

let t: TestHub | undefined;
const hubs = hubPerTest();

const statusOf = async (hub: TestHub, id: string) =>
  (await hub.api('GET', `/api/v1/agents/${id}`)).body.agent.status;

describe('presence', () => {
  it('goes active → idle → offline with silence, and back to active on any activity', async () => {
    const clock = new TestClock();
    t = await hubs.start({ presence: { idleAfterSeconds: 60, offlineAfterSeconds: 300 } }, { clock });
    const a = await t.register('A');
    const b = await t.register('B');
    expect(await statusOf(t, a.id)).toBe('active');
    clock.advance(61);
    expect(await statusOf(t, a.id)).toBe('idle');
    clock.advance(300);
    expect(await statusOf(t, a.id)).toBe('offline');
    // Sending counts as activity, not only heartbeats.
    await t.api('POST', '/api/v1/messages', { token: a.token, body: { to: b.id, body: 'hi' } });
    expect(await statusOf(t, a.id)).toBe('active');
    expect(await statusOf(t, b.id)).toBe('offline');
  });

  it('keeps a declared status from heartbeats while the agent is present', async () => {
    t = await hubs.start();
    const a = await t.register('A');
    const res = await t.api('POST', `/api/v1/agents/${a.id}/heartbeat`, {
      token: a.token,
      body: { status: 'busy' },
    });
    expect(res.status).toBe(200);
    expect(res.body.agent.status).toBe('busy');
    expect(
      (await t.api('GET', '/api/v1/agents?status=busy')).body.agents.map((x: any) => x.agent_id),
    ).toEqual([a.id]);
  });

  it('retires an agent after a long absence: it leaves broadcasts but keeps its inbox for when it comes back', async () => {
    const clock = new TestClock();
    t = await hubs.start({ presence: { retireAfterSeconds: 3600 } }, { clock });
    const gone = await t.register('Gone', { agent_id: 'gone' });
    clock.advance(1800);
    const stays = await t.register('Stays');
    clock.advance(1801);
    const { retired } = await t.hub.services.agents.sweep();
    expect(retired).toEqual(['gone']);
    const listed = (await t.api('GET', '/api/v1/agents')).body.agents.map((x: any) => x.agent_id);
    expect(listed).toEqual([stays.id]);
    const sent = await t.api('POST', '/api/v1/messages', {
      token: stays.token,
      body: { to: 'ALL', body: 'roll call' },
    });
    expect(sent.body.recipients).toEqual([]);
    // Coming back: register again with its own token.
    const back = await t.api('POST', '/api/v1/agents/register', {
      token: gone.token,
      body: { agent_id: 'gone', name: 'Gone' },
    });
    expect(back.status).toBe(200);
    expect(back.body.agent.status).toBe('active');
    expect(back.body.token).toBeUndefined();
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After once an agent spends its burst, and other agents are unaffected', async () => {
    t = await hubs.start({ rateLimit: { enabled: true, perSecond: 0.5, burst: 3 } });
    const a = await t.register('A');
    const b = await t.register('B');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await t.api('GET', '/api/v1/messages', { token: a.token })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await t.api('GET', '/api/v1/messages', { token: a.token });
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await t.api('GET', '/api/v1/messages', { token: b.token })).status).toBe(200);
  });
});
