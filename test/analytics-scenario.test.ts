/**
 * The scripted scenario, with figures that must come out exactly: a hub agent H talking to
 * five workers (each answers H's requests), a chain of four passing work along (A → B → C → D), and
 * one agent S that never answers its requests. Driven over REST (and read over MCP too) against a
 * real hub whose clock the test sets, so every latency is known to the millisecond.
 */
import { describe, expect, it } from 'vitest';
import { hubPerTest, type TestHub } from './helpers/hub.js';
import { TestClock } from './helpers/clock.js';
import { spawnScripted } from './helpers/instances.js';
import { connect2026, structured } from './mcp-clients.js';

const T0 = Date.UTC(2026, 11, 6, 10, 0, 0);

let t: TestHub | undefined;
const hubs = hubPerTest();

type Agent = { id: string; token: string };

/** What the scenario measured, per metric: every latency in ms, as the test's clock made it. */
type Samples = Record<string, number[]>;

async function scenario(h: TestHub, clock: TestClock) {
  const at = (ms: number) => clock.set(T0 + ms);
  const samples: Samples = {
    delivery: [],
    ack: [],
    response: [],
    first_response: [],
    task_claim: [],
    task_complete: [],
  };
  const reg = (name: string, role: string) => h.register(name, { role, capabilities: [role] });
  const H = await reg('H', 'lead');
  const W: Agent[] = [];
  for (let i = 1; i <= 5; i++) W.push(await reg(`W${i}`, 'worker'));
  const [A, B, C, D] = [
    await reg('A', 'pipeline'),
    await reg('B', 'pipeline'),
    await reg('C', 'pipeline'),
    await reg('D', 'pipeline'),
  ];
  const S = await reg('S', 'worker');

  const send = async (from: Agent, body: Record<string, unknown>) => {
    const r = await h.api('POST', '/api/v1/messages', { token: from.token, body });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body as { message_id: string; thread_id: string };
  };
  const read = async (who: Agent) => {
    const r = await h.api('GET', `/api/v1/messages?agent_id=${who.id}`, { token: who.token });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.messages as Array<{ message_id: string }>;
  };
  const ack = async (who: Agent, id: string) => {
    const r = await h.api('POST', '/api/v1/messages/ack', { token: who.token, body: { message_ids: [id] } });
    expect(r.status).toBe(200);
  };

  // H asks each worker (ack required) and S twice (never answered), all at 0 s.
  at(0);
  const asks = [];
  for (const w of W)
    asks.push(await send(H, { to: w.id, type: 'request', body: 'do it', ack_required: true }));
  await send(H, { to: S.id, type: 'request', body: 'are you there?' });
  await send(H, { to: S.id, type: 'request', body: 'hello?' });

  // Worker i reads at i s and answers at i.5 s; W1–W3 ack; W3 acks without reading first (the ack reads it).
  for (const [n, w] of W.entries()) {
    const i = n + 1;
    if (i !== 3) {
      at(i * 1000);
      expect(await read(w)).toHaveLength(1);
      samples.delivery.push(i * 1000);
    }
    at(i * 1000 + 500);
    await send(w, { to: H.id, type: 'response', reply_to: asks[n]!.message_id, body: 'done' });
    samples.response.push(i * 1000 + 500);
    samples.first_response.push(i * 1000 + 500);
    if (i <= 3) {
      await ack(w, asks[n]!.message_id);
      samples.ack.push(i * 1000 + 500);
      if (i === 3) samples.delivery.push(3500);
    }
  }
  // H reads the five answers at 10 s.
  at(10_000);
  expect(await read(H)).toHaveLength(5);
  for (let i = 1; i <= 5; i++) samples.delivery.push(10_000 - (i * 1000 + 500));

  // The chain: A asks B; B, C pass the work on in the same thread and tell their asker; D answers C.
  at(20_000);
  const work = await send(A, { to: B.id, type: 'request', body: 'build it' });
  at(21_000);
  expect(await read(B)).toHaveLength(1);
  samples.delivery.push(1000);
  at(21_500);
  const toC = await send(B, { to: C.id, type: 'request', thread_id: work.thread_id, body: 'build it' });
  const bDone = await send(B, { to: A.id, type: 'response', reply_to: work.message_id, body: 'passed to C' });
  samples.response.push(1500);
  samples.first_response.push(1500);
  at(22_000);
  expect(await read(C)).toHaveLength(1);
  samples.delivery.push(500);
  at(22_500);
  const toD = await send(C, { to: D.id, type: 'request', thread_id: work.thread_id, body: 'build it' });
  await send(C, { to: B.id, type: 'response', reply_to: toC.message_id, body: 'passed to D' });
  samples.response.push(1000);
  at(23_000);
  expect(await read(D)).toHaveLength(1);
  samples.delivery.push(500);
  at(23_500);
  await send(D, { to: C.id, type: 'response', reply_to: toD.message_id, body: 'built' });
  samples.response.push(1000);
  // A reads B's answer at 24 s and acks it (no ack was required).
  at(24_000);
  expect(await read(A)).toHaveLength(1);
  samples.delivery.push(2500);
  await ack(A, bDone.message_id);
  samples.ack.push(2500);

  // Tasks: W1 claims one 2 s after it was created and completes it 3 s later; W2 claims one 1 s
  // after it was created and gives up.
  const task = async (title: string) => {
    const r = await h.api('POST', '/api/v1/tasks', { token: H.token, body: { title } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.task.task_id as string;
  };
  const act = async (who: Agent, id: string, what: string, body: unknown = {}) =>
    expect((await h.api('POST', `/api/v1/tasks/${id}/${what}`, { token: who.token, body })).status).toBe(200);
  at(30_000);
  const t1 = await task('one');
  at(32_000);
  await act(W[0]!, t1, 'claim');
  samples.task_claim.push(2000);
  at(35_000);
  await act(W[0]!, t1, 'complete', { result: { ok: true } });
  samples.task_complete.push(3000);
  const t2 = await task('two');
  at(36_000);
  await act(W[1]!, t2, 'claim');
  samples.task_claim.push(1000);
  await act(W[1]!, t2, 'fail', { reason: 'cannot', retryable: false });
  at(40_000);
  return { H, W, A, B, C, D, S, samples };
}

/** The value at nearest rank q of the samples. */
function rank(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(1, Math.ceil(q * s.length)) - 1]!;
}

const byId = <T extends { agent_id: string }>(rows: T[]) =>
  Object.fromEntries(rows.map((r) => [r.agent_id, r]));
const figures = <T extends object>(body: T) => {
  const { cached: _c, age_seconds: _a, ...rest } = body as T & { cached: unknown; age_seconds: unknown };
  return rest;
};

describe('analytics: the scripted scenario', () => {
  it('counts exactly what was sent, read, answered and acked, live, over MCP and rebuilt', async () => {
    const clock = new TestClock(T0);
    t = await hubs.start({ analytics: { cacheSeconds: 5 } }, { clock });
    const s = await scenario(t, clock);
    const admin = { token: t.adminToken };
    const get = async (what: string, query = '') => {
      const r = await t!.api('GET', `/api/v1/analytics/${what}?project=default${query}`, admin);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body;
    };

    // Usage: sent, received and unread backlog per agent, exactly.
    const usage = await get('usage');
    const u = byId(
      usage.agents as Array<{ agent_id: string; sent: number; received: number; unread: number }>,
    );
    const expectUsage = (a: Agent, sent: number, received: number, unread: number) =>
      expect([u[a.id]?.sent, u[a.id]?.received, u[a.id]?.unread], a.id).toEqual([sent, received, unread]);
    expectUsage(s.H, 7, 5, 0);
    for (const w of s.W) expectUsage(w, 1, 1, 0);
    expectUsage(s.A, 1, 1, 0);
    expectUsage(s.B, 2, 2, 1);
    expectUsage(s.C, 2, 2, 1);
    expectUsage(s.D, 1, 1, 0);
    expectUsage(s.S, 0, 2, 2);
    expect(usage.totals).toMatchObject({ agents: 11, sent: 18, received: 18, unread: 4 });
    expect(usage.by_role.find((r: any) => r.role === 'pipeline')).toMatchObject({ agents: 4, unread: 2 });

    // Engagement: response rates, silent agents, acks against ack_required.
    const eng = await get('engagement', '&bucket=minute');
    const e = byId(eng.agents as Array<{ agent_id: string; acked: number; acks: number }>);
    for (const w of s.W)
      expect(e[w.id]).toMatchObject({ requests: 1, answered: 1, response_rate: 1, ack_required: 1 });
    expect(s.W.map((w) => [e[w.id].acked, e[w.id].acks])).toEqual([
      [1, 1],
      [1, 1],
      [1, 1],
      [0, 0],
      [0, 0],
    ]);
    for (const a of [s.B, s.C, s.D])
      expect(e[a.id]).toMatchObject({ requests: 1, answered: 1, response_rate: 1 });
    expect(e[s.S.id]).toMatchObject({
      requests: 2,
      answered: 0,
      response_rate: 0,
      ack_required: 0,
      ack_rate: null,
    });
    expect(e[s.A.id]).toMatchObject({ requests: 0, response_rate: null, ack_required: 0, acked: 0, acks: 1 });
    expect(eng.agents).toHaveLength(10);
    expect(eng.totals).toEqual({
      requests: 10,
      answered: 8,
      response_rate: 0.8,
      ack_required: 5,
      acked: 3,
      ack_rate: 0.6,
      acks: 4,
    });
    expect(eng.silent).toEqual([{ agent_id: s.S.id, name: 'S', requests: 2 }]);
    expect(eng.active_agents).toEqual({
      total: 10,
      series: [{ bucket_start: new Date(T0).toISOString(), agents: 10 }],
    });
    expect(eng.time_to_first_response.count).toBe(6);
    expect(eng.stale).toEqual([]); // everyone was seen within the presence timeout

    // Performance: counts are the requests answered and the acks made; percentiles within a bin.
    const perf = await get('performance', '&bucket=minute');
    const expectedCounts = {
      delivery: 14,
      ack: 4,
      response: 8,
      first_response: 6,
      task_claim: 2,
      task_complete: 1,
      turn: 0,
    };
    for (const [metric, count] of Object.entries(expectedCounts)) {
      const { series, ...m } = perf.metrics[metric];
      expect(m.count, metric).toBe(count);
      const xs = s.samples[metric] ?? [];
      expect(xs, metric).toHaveLength(count);
      if (count === 0) {
        expect(m).toEqual({ count: 0, mean_ms: null, p50_ms: null, p95_ms: null, p99_ms: null });
        expect(series).toEqual([]);
        continue;
      }
      expect(m.mean_ms, metric).toBeCloseTo(xs.reduce((a, b) => a + b, 0) / count, 3);
      for (const [q, key] of [
        [0.5, 'p50_ms'],
        [0.95, 'p95_ms'],
        [0.99, 'p99_ms'],
      ] as const) {
        // Reported as the upper bound of the log-scale bin (doubling bins) holding that rank.
        const v = rank(xs, q);
        expect(m[key], `${metric} ${key}`).toBeGreaterThanOrEqual(v);
        expect(m[key], `${metric} ${key}`).toBeLessThan(2 * v);
      }
      // All of it happened in the scenario's first minute: one point, the same figures.
      expect(series, metric).toEqual([{ bucket_start: new Date(T0).toISOString(), ...m }]);
    }
    // A range with partial hours at both ends (read from minute and hour rollups) counts the same;
    // one that starts after the scenario's minute counts nothing.
    const iso = (ms: number) => encodeURIComponent(new Date(ms).toISOString());
    const spanning = await get(
      'performance',
      `&since=${iso(T0 - 30 * 60_000)}&until=${iso(T0 + 61 * 60_000)}`,
    );
    expect(spanning.metrics).toEqual(perf.metrics);
    const afterwards = await get('engagement', `&since=${iso(T0 + 60_000)}`);
    expect(afterwards.totals).toMatchObject({ requests: 0, answered: 0, acks: 0 });
    const empty = await get('performance', `&since=${iso(T0 + 60_000)}`);
    expect(Object.values(empty.metrics).map((m: any) => m.count)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    // Per agent: who ended how many samples, and how fast (W1 ended the most: 6).
    expect(perf.by_agent).toHaveLength(10);
    expect(perf.by_agent[0]).toMatchObject({
      agent_id: s.W[0]!.id,
      delivery: { count: 1, mean_ms: 1000 },
      response: { count: 1, mean_ms: 1500 },
      task_complete: { count: 1, mean_ms: 3000 },
      turn: { count: 0 },
    });
    expect(
      byId(perf.by_agent as Array<{ agent_id: string; delivery: unknown }>)[s.H.id]!.delivery,
    ).toMatchObject({ count: 5, mean_ms: 6500 });
    expect((await get('performance', '&agents_limit=2')).by_agent).toHaveLength(2);
    expect(perf.metrics.response.count).toBe(eng.totals.answered);
    expect(perf.metrics.ack.count).toBe(eng.totals.acks);
    // Agent filters match the agent that ended the sample.
    const w1 = await get('performance', `&agent_id=${s.W[0]!.id}`);
    expect([w1.metrics.delivery.count, w1.metrics.response.count, w1.metrics.ack.count]).toEqual([1, 1, 1]);
    expect(w1.metrics.task_complete).toMatchObject({ count: 1, mean_ms: 3000 });
    const pipeline = await get('engagement', '&role=pipeline');
    expect(pipeline.totals).toMatchObject({ requests: 3, answered: 3, acks: 1 });

    // The same answers over MCP.
    const mcp = await connect2026(t.url, { token: t.adminToken });
    try {
      const viaMcp = structured(
        await mcp.callTool({
          name: 'analytics_engagement',
          arguments: { project: 'default', bucket: 'minute' },
        }),
      );
      expect(figures(viaMcp)).toEqual(figures(eng));
    } finally {
      await mcp.close();
    }

    // A rebuild from the log gives the same figures as the live rollups.
    const before = {
      usage: figures(usage),
      eng: figures(eng),
      perf: figures(await get('performance', '&bucket=minute')),
    };
    // Empty the rollups a rebuild restores (on either store).
    await t.hub.store.analytics.clear();
    expect((await t.api('POST', '/api/v1/analytics/rebuild', { ...admin, body: {} })).status).toBe(200);
    const after = {
      usage: figures(await get('usage')),
      eng: figures(await get('engagement', '&bucket=minute')),
      perf: figures(await get('performance', '&bucket=minute')),
    };
    expect(after).toEqual(before);

    // Stale: 400 s later everyone is offline; B says it is back; S and C hold unread messages.
    clock.set(T0 + 400_000);
    expect(
      (await t.api('POST', `/api/v1/agents/${s.B.id}/heartbeat`, { token: s.B.token, body: {} })).status,
    ).toBe(200);
    const later = await get('engagement');
    expect(later.stale.map((x: any) => [x.agent_id, x.status, x.unread])).toEqual([
      [s.S.id, 'offline', 2],
      [s.C.id, 'offline', 1],
    ]);

    // The cache: the same question within analytics.cacheSeconds is answered from it; a new
    // request past the TTL changes the answer.
    expect(later).toMatchObject({ cached: false, age_seconds: 0 });
    await t.api('POST', '/api/v1/messages', {
      token: s.H.token,
      body: { to: s.S.id, type: 'request', body: '?' },
    });
    clock.set(T0 + 403_000);
    const cached = await get('engagement');
    expect(cached).toMatchObject({ cached: true, age_seconds: 3 });
    expect(cached.totals.requests).toBe(10);
    clock.set(T0 + 406_000);
    const fresh = await get('engagement');
    expect(fresh).toMatchObject({ cached: false, age_seconds: 0 });
    expect(fresh.totals).toMatchObject({ requests: 11, answered: 8, response_rate: 0.7273 });
    expect(byId(fresh.silent)[s.S.id]).toMatchObject({ requests: 3 });
    expect(fresh.stale[0]).toMatchObject({ agent_id: s.S.id, unread: 3 });

    // An agent of another project sees its own project only: nothing of this scenario.
    const x = await t.register('X', { project: 'other' });
    for (const what of ['performance', 'engagement']) {
      const other = await t.api('GET', `/api/v1/analytics/${what}?project=default`, { token: x.token });
      expect(other.status, what).toBe(403);
      const own = await t.api('GET', `/api/v1/analytics/${what}?agent_id=${s.W[0]!.id}`, { token: x.token });
      expect(own.status, what).toBe(200);
      if (what === 'performance') expect(own.body.metrics.response.count).toBe(0);
      else expect([own.body.agents, own.body.stale, own.body.active_agents.total]).toEqual([[], [], 0]);
    }
    const mine = await t.api('GET', '/api/v1/analytics/engagement', { token: x.token });
    expect([mine.body.totals.requests, mine.body.stale, mine.body.silent]).toEqual([0, [], []]);
  });

  it('times deliveries read by mark_read and wait_for_messages too, live and rebuilt', async () => {
    const clock = new TestClock(T0);
    t = await hubs.start({ analytics: { cacheSeconds: 0 } }, { clock });
    const a = await t.register('A');
    const b = await t.register('B');
    const ids: string[] = [];
    for (const body of ['one', 'two']) {
      const r = await t.api('POST', '/api/v1/messages', { token: a.token, body: { to: b.id, body } });
      ids.push(r.body.message_id);
    }
    clock.set(T0 + 2000);
    const marked = await t.api('POST', '/api/v1/messages/read', {
      token: b.token,
      body: { message_ids: [ids[0]] },
    });
    expect(marked.status, JSON.stringify(marked.body)).toBe(200);
    // Marking it again reads nothing new.
    await t.api('POST', '/api/v1/messages/read', { token: b.token, body: { message_ids: [ids[0]] } });
    clock.set(T0 + 5000);
    const waited = await t.api('GET', `/api/v1/messages/wait?agent_id=${b.id}&timeout_seconds=0`, {
      token: b.token,
    });
    expect(waited.body.messages.map((m: any) => m.message_id)).toEqual([ids[1]]);
    const q = `/api/v1/analytics/performance?agent_id=${b.id}`;
    const live = (await t.api('GET', q, { token: t.adminToken })).body;
    expect(live.metrics.delivery).toMatchObject({ count: 2, mean_ms: 3500, p50_ms: 2048, p99_ms: 8192 });
    await t.api('POST', '/api/v1/analytics/rebuild', { token: t.adminToken, body: {} });
    expect(figures((await t.api('GET', q, { token: t.adminToken })).body)).toEqual(figures(live));
  });

  it('times an instance’s turns, live and rebuilt', async () => {
    t = await hubs.start({ analytics: { cacheSeconds: 0 } });
    const boss = await t.register('Boss');
    const inst = await spawnScripted(t, boss.token, { default: { reply: 'ok' } });
    try {
      for (const message of ['one', 'two', 'three']) {
        const turn = await t.api('POST', `/api/v1/instances/${inst.instance_id}/send`, {
          token: boss.token,
          body: { message, timeout_seconds: 60 },
        });
        expect(turn.body.status, JSON.stringify(turn.body)).toBe('completed');
      }
      const q = `/api/v1/analytics/performance?agent_id=${inst.agent_id}`;
      const live = (await t.api('GET', q, { token: t.adminToken })).body;
      expect(live.metrics.turn.count).toBe(3);
      expect(live.metrics.turn.p50_ms).toBeGreaterThan(0);
      expect(live.metrics.turn.series.reduce((n: number, p: any) => n + p.count, 0)).toBe(3);
      await t.api('POST', '/api/v1/analytics/rebuild', { token: t.adminToken, body: {} });
      const rebuilt = (await t.api('GET', q, { token: t.adminToken })).body;
      expect(figures(rebuilt)).toEqual(figures(live));
    } finally {
      await t.api('DELETE', `/api/v1/instances/${inst.instance_id}`, { token: t.adminToken });
    }
  });
});
