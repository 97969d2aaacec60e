/**
 * Analytics over a real hub: a scripted scenario whose figures must come out exactly, the TTL cache,
 * a rebuild from the log, and project isolation.
 */
import { describe, expect, it } from 'vitest';
import { FIXTURE } from './gateway-support.js';
import { hubPerTest, type TestHub } from './helpers/hub.js';
import { TestClock } from './helpers/clock.js';
import { spawnScripted, until } from './helpers/instances.js';

let t: TestHub | undefined;
const hubs = hubPerTest();

type Agent = { id: string; token: string };

/**
 * hub sends a request to each of five workers; w1–w4 answer, w5 never does; hub sends a note
 * (ack_required) to w1 and w2, and w1 acks it; w1 and w3 ack their requests too; w5 tries to send
 * to nobody (refused). In project `other`, x sends y one message.
 */
async function scenario(h: TestHub) {
  const hub = await h.register('Hub', { role: 'lead', capabilities: ['coordinate'] });
  const workers: Agent[] = [];
  for (let i = 1; i <= 5; i++)
    workers.push(
      await h.register(`W${i}`, { role: 'worker', capabilities: ['code', i <= 2 ? 'review' : 'test'] }),
    );
  const x = await h.register('X', { project: 'other', role: 'worker' });
  const y = await h.register('Y', { project: 'other' });

  const send = async (from: Agent, body: Record<string, unknown>) => {
    const r = await h.api('POST', '/api/v1/messages', { token: from.token, body });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.message_id as string;
  };
  const ack = async (who: Agent, id: string) => {
    const r = await h.api('POST', '/api/v1/messages/ack', { token: who.token, body: { message_ids: [id] } });
    expect(r.status).toBe(200);
  };
  const requests: string[] = [];
  for (const w of workers) requests.push(await send(hub, { to: w.id, type: 'request', body: 'do it' }));
  for (let i = 0; i < 4; i++)
    await send(workers[i]!, { to: hub.id, type: 'response', reply_to: requests[i], body: 'done' });
  const note1 = await send(hub, { to: workers[0]!.id, type: 'note', body: 'fyi', ack_required: true });
  await send(hub, { to: workers[1]!.id, type: 'note', body: 'fyi', ack_required: true });
  await ack(workers[0]!, note1);
  await ack(workers[0]!, requests[0]!);
  await ack(workers[2]!, requests[2]!);
  const refused = await h.api('POST', '/api/v1/messages', {
    token: workers[4]!.token,
    body: { to: 'nobody-at-all', body: 'x' },
  });
  expect(refused.status).toBeGreaterThanOrEqual(400);
  await send(x, { to: y.id, body: 'hello' });
  // Tasks: w1 claims and completes one; w2 claims one and gives it up for good.
  for (const [w, end, body] of [
    [workers[0]!, 'complete', { result: { ok: true } }],
    [workers[1]!, 'fail', { reason: 'cannot', retryable: false }],
  ] as const) {
    const task = await h.api('POST', '/api/v1/tasks', { token: hub.token, body: { title: `for ${w.id}` } });
    expect(task.status, JSON.stringify(task.body)).toBe(201);
    const id = task.body.task.task_id;
    expect((await h.api('POST', `/api/v1/tasks/${id}/claim`, { token: w.token, body: {} })).status).toBe(200);
    expect((await h.api('POST', `/api/v1/tasks/${id}/${end}`, { token: w.token, body })).status).toBe(200);
  }
  return { hub, workers, x, y };
}

const byId = (agents: any[]) => Object.fromEntries(agents.map((a) => [a.agent_id, a]));

describe('analytics', () => {
  it('counts exactly what the scripted scenario sent, answered and acknowledged', async () => {
    t = await hubs.start();
    const { hub, workers } = await scenario(t);
    const admin = { token: t.adminToken };

    const usage = await t.api('GET', '/api/v1/analytics/usage?project=default', admin);
    expect(usage.status, JSON.stringify(usage.body)).toBe(200);
    const a = byId(usage.body.agents);
    expect(a[hub.id]).toMatchObject({ role: 'lead', sent: 7, received: 4, tasks_claimed: 0, tokens: 0 });
    const expected = [
      { sent: 1, received: 2, tasks_claimed: 1, tasks_completed: 1, tasks_failed: 0 },
      { sent: 1, received: 2, tasks_claimed: 1, tasks_completed: 0, tasks_failed: 1 },
      { sent: 1, received: 1 },
      { sent: 1, received: 1 },
      { sent: 0, received: 1 },
    ];
    workers.forEach((w, i) => expect(a[w.id]).toMatchObject(expected[i]!));
    expect(usage.body.agents).toHaveLength(6);
    expect(usage.body.totals).toMatchObject({
      agents: 6,
      sent: 11,
      received: 11,
      tasks_claimed: 2,
      tasks_completed: 1,
      tasks_failed: 1,
    });
    expect(usage.body.by_role).toEqual([
      expect.objectContaining({ role: 'lead', agents: 1, sent: 7, received: 4 }),
      expect.objectContaining({ role: 'worker', agents: 5, sent: 4, received: 7 }),
    ]);
    const caps = Object.fromEntries(usage.body.by_capability.map((c: any) => [c.capability, c]));
    expect(caps.review).toMatchObject({ agents: 2, sent: 2, received: 4 });
    expect(caps.test).toMatchObject({ agents: 3, sent: 2, received: 3 });

    const byRole = await t.api('GET', '/api/v1/analytics/usage?role=worker&capability=test', admin);
    expect(byRole.body.totals).toMatchObject({ agents: 3, sent: 2, received: 3 });

    const history = await t.api('GET', '/api/v1/analytics/history?project=default&bucket=day', admin);
    expect(history.status, JSON.stringify(history.body)).toBe(200);
    expect(history.body.totals).toEqual({
      messages: 11,
      threads: 7,
      participants: 6,
      by_type: { note: 2, request: 5, response: 4 },
    });
    expect(history.body.series).toHaveLength(1);
    expect(history.body.series[0]).toMatchObject({ messages: 11, threads: 7, participants: 6 });
    expect(history.body.threads.map((x: any) => x.messages).sort()).toEqual([1, 1, 1, 2, 2, 2, 2]);

    // Pairs: requests, responses and acks on the asker → responder edge; w5 never answers.
    const pairs = await t.hub.store.analytics.pairTotals({ project: 'default' });
    const edge = (to: string) => pairs.find((p) => p.from === hub.id && p.to === to)!;
    expect(edge(workers[0]!.id)).toMatchObject({
      messages: 2,
      requests: 1,
      responses: 1,
      acks: 2,
      latencyCount: 1,
    });
    expect(edge(workers[2]!.id)).toMatchObject({ messages: 1, requests: 1, responses: 1, acks: 1 });
    expect(edge(workers[4]!.id)).toMatchObject({
      messages: 1,
      requests: 1,
      responses: 0,
      acks: 0,
      latencyCount: 0,
    });
    expect(pairs.reduce((s, p) => s + p.responses, 0)).toBe(4);

    const tools = await t.api('GET', '/api/v1/analytics/tools?project=default', admin);
    const send = tools.body.operations.find((o: any) => o.name === 'send_message');
    expect(send).toMatchObject({ calls: 12, errors: 1, error_rate: 0.0833 });
    expect(send.p50_ms).toBeGreaterThan(0);
    expect(send.p99_ms).toBeGreaterThanOrEqual(send.p50_ms);
  });

  it('serves a cached answer within analytics.cacheSeconds, and a fresh one after it', async () => {
    const clock = new TestClock();
    t = await hubs.start({ analytics: { cacheSeconds: 5 } }, { clock });
    const { hub, workers } = await scenario(t);
    const admin = { token: t.adminToken };
    const q = `/api/v1/analytics/usage?agent_id=${hub.id}`;
    const first = await t.api('GET', q, admin);
    expect(first.body).toMatchObject({ cached: false, age_seconds: 0 });
    expect(first.body.agents[0].sent).toBe(7);
    clock.advance(3);
    await t.api('POST', '/api/v1/messages', { token: hub.token, body: { to: workers[3]!.id, body: 'more' } });
    const second = await t.api('GET', q, admin);
    expect(second.body).toMatchObject({ cached: true, age_seconds: 3 });
    expect(second.body.agents[0].sent).toBe(7);
    clock.advance(3);
    const third = await t.api('GET', q, admin);
    expect(third.body).toMatchObject({ cached: false, age_seconds: 0 });
    expect(third.body.agents[0].sent).toBe(8);

    const metrics = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${t.adminToken}` } });
    const text = await metrics.text();
    expect(text).toMatch(/^switchboard_analytics_cache_hits_total 1$/m);
    expect(text).toMatch(/^switchboard_analytics_cache_misses_total 2$/m);
  });

  it('rebuilds the same figures from the log after the rollups were emptied', async () => {
    t = await hubs.start({ analytics: { cacheSeconds: 0 } });
    await scenario(t);
    const admin = { token: t.adminToken };
    const read = async () => ({
      usage: (await t!.api('GET', '/api/v1/analytics/usage', admin)).body.agents,
      history: (await t!.api('GET', '/api/v1/analytics/history?bucket=minute', admin)).body,
      pairs: await t!.hub.store.analytics.pairTotals({}),
    });
    const before = await read();
    expect(before.usage).toHaveLength(8);
    await t.hub.services.analytics.recorder.flush();
    // Empty the rollups a rebuild restores (on either store).
    await t.hub.store.analytics.clear();
    expect((await read()).usage).toEqual([]);

    const rebuilt = await t.api('POST', '/api/v1/analytics/rebuild', { ...admin, body: {} });
    expect(rebuilt.status, JSON.stringify(rebuilt.body)).toBe(200);
    expect(rebuilt.body).toEqual({ messages: 12, task_attempts: 2, instances: 0 });
    const after = await read();
    expect(after.usage).toEqual(before.usage);
    expect({ ...after.history, cached: 0 }).toEqual({ ...before.history, cached: 0 });
    expect(after.pairs).toEqual(before.pairs);

    // One rebuild at a time: a second one while the first runs is a conflict, and counts nothing twice.
    const analytics = t.hub.services.analytics;
    const first = analytics.rebuild();
    await expect(analytics.rebuild()).rejects.toMatchObject({ code: 'conflict' });
    await first;
    expect((await read()).usage).toEqual(before.usage);
  });

  it('adds up the tokens and cost of an agent’s instance, turn by turn, live and rebuilt', async () => {
    t = await hubs.start({ analytics: { cacheSeconds: 0 } });
    const boss = await t.register('Boss');
    const inst = await spawnScripted(t, boss.token, {
      default: { reply: 'ok', usage: { input_tokens: 100, output_tokens: 10 }, cost_usd: 0.25 },
    });
    try {
      for (const message of ['one', 'two']) {
        const turn = await t.api('POST', `/api/v1/instances/${inst.instance_id}/send`, {
          token: boss.token,
          body: { message, timeout_seconds: 60 },
        });
        expect(turn.body.status, JSON.stringify(turn.body)).toBe('completed');
      }
      const q = `/api/v1/analytics/usage?agent_id=${inst.agent_id}`;
      const live = await t.api('GET', q, { token: t.adminToken });
      expect(live.body.agents).toEqual([expect.objectContaining({ tokens: 220, cost_usd: 0.5 })]);
      await t.api('POST', '/api/v1/analytics/rebuild', { token: t.adminToken, body: {} });
      const rebuilt = await t.api('GET', q, { token: t.adminToken });
      expect(rebuilt.body.agents).toEqual([expect.objectContaining({ tokens: 220, cost_usd: 0.5 })]);
    } finally {
      await t.api('DELETE', `/api/v1/instances/${inst.instance_id}`, { token: t.adminToken });
    }
  });

  it('counts downstream tool calls and their errors, with percentiles', async () => {
    t = await hubs.start({
      analytics: { cacheSeconds: 0 },
      gateway: { servers: [{ name: 'fixture', command: process.execPath, args: [FIXTURE, 'analytics'] }] },
    });
    const admin = t.adminToken;
    await until(
      'the fixture server',
      async () =>
        (await t!.api('GET', '/api/v1/gateway/health?name=fixture', { token: admin })).body.servers?.[0]
          ?.state === 'ready',
    );
    const run = (steps: unknown[]) =>
      t!.api('POST', '/api/v1/workflows', { token: admin, body: { definition: { steps }, wait: true } });
    const echo = (id: string) => ({ id, call: 'fixture__fixture_echo', input: { text: id } });
    expect((await run([echo('a'), echo('b'), echo('c')])).body.status).toBe('completed');
    expect((await run([{ id: 'f', call: 'fixture__fixture_fail', input: {} }])).body.status).toBe('failed');

    const tools = await t.api('GET', '/api/v1/analytics/tools', { token: admin });
    const named = Object.fromEntries(tools.body.tools.map((x: any) => [x.name, x]));
    expect(named.fixture__fixture_echo).toMatchObject({ calls: 3, errors: 0, error_rate: 0 });
    expect(named.fixture__fixture_echo.p50_ms).toBeGreaterThan(0);
    expect(named.fixture__fixture_fail).toMatchObject({ calls: 1, errors: 1, error_rate: 1 });
    expect(tools.body.operations.find((o: any) => o.name === 'run_workflow')).toMatchObject({ calls: 2 });
  });

  it('shows an agent its own project only; the admin every project', async () => {
    t = await hubs.start();
    const { hub, x, y } = await scenario(t);
    const mine = await t.api('GET', '/api/v1/analytics/usage', { token: x.token });
    expect(mine.status).toBe(200);
    expect(mine.body.agents.map((a: any) => a.agent_id).sort()).toEqual([x.id, y.id].sort());
    expect(mine.body.totals).toMatchObject({ sent: 1, received: 1 });
    const history = await t.api('GET', '/api/v1/analytics/history', { token: x.token });
    expect(history.body.totals).toMatchObject({ messages: 1, threads: 1, participants: 2 });
    const tools = await t.api('GET', '/api/v1/analytics/tools', { token: x.token });
    expect(tools.body.operations.find((o: any) => o.name === 'send_message')).toMatchObject({ calls: 1 });

    for (const path of ['usage', 'history', 'tools']) {
      const other = await t.api('GET', `/api/v1/analytics/${path}?project=default`, { token: x.token });
      expect(other.status).toBe(403);
      expect(other.body.error.message).toMatch(/own project \(other\)/);
    }
    const spy = await t.api('GET', `/api/v1/analytics/usage?agent_id=${hub.id}`, { token: x.token });
    expect(spy.body.agents).toEqual([]);
    const all = await t.api('GET', '/api/v1/analytics/usage', { token: t.adminToken });
    expect(all.body.totals).toMatchObject({ agents: 8, sent: 12, received: 12 });
    const rebuild = await t.api('POST', '/api/v1/analytics/rebuild', { token: x.token, body: {} });
    expect(rebuild.status).toBe(403);
  });
});
