/**
 * The communication graph over a real hub, messages sent over REST: a scripted scenario whose graph,
 * patterns, routes and recommendations must come out exactly, and project isolation.
 */
import { describe, expect, it } from 'vitest';
import { hubPerTest, type TestHub } from './helpers/hub.js';

let t: TestHub | undefined;
const hubs = hubPerTest();

type Agent = { id: string; token: string };

/**
 * H asks S1–S5 and each answers; A → B → C → D pass work along (each asks the next, who answers);
 * Q asks N four times and N never reads nor answers; R asks T three times (T answers once) and
 * reaches T reliably through M; I says nothing. S1 completes two tasks, S2 one of two, S3 holds
 * one and is busy. In project `other`, X sends Y one message.
 */
async function scenario(h: TestHub) {
  const reg = (name: string, extra: Record<string, unknown> = {}) =>
    h.register(name, { agent_id: name.toLowerCase(), ...extra });
  const H = await reg('H', { role: 'lead' });
  const S: Agent[] = [];
  for (let i = 1; i <= 5; i++) S.push(await reg(`S${i}`, { capabilities: i <= 3 ? ['review'] : ['test'] }));
  const [A, B, C, D] = [await reg('A'), await reg('B'), await reg('C'), await reg('D')];
  const [Q, N, R, M, T, I] = [
    await reg('Q'),
    await reg('N'),
    await reg('R'),
    await reg('M'),
    await reg('T'),
    await reg('I'),
  ];
  const X = await reg('X', { project: 'other' });
  const Y = await reg('Y', { project: 'other' });

  const send = async (from: Agent, to: Agent, body: Record<string, unknown> = {}) => {
    const r = await h.api('POST', '/api/v1/messages', {
      token: from.token,
      body: { to: to.id, body: 'x', ...body },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.message_id as string;
  };
  const ask = (from: Agent, to: Agent) => send(from, to, { type: 'request' });
  const answer = (from: Agent, to: Agent, request: string) =>
    send(from, to, { type: 'response', reply_to: request });
  const read = async (who: Agent) => {
    const r = await h.api('GET', `/api/v1/messages?agent_id=${who.id}&limit=100`, { token: who.token });
    expect(r.status).toBe(200);
  };

  for (const s of S) {
    const q = await ask(H, s);
    await read(s);
    await answer(s, H, q);
  }
  await read(H);
  for (const [from, to] of [
    [A, B],
    [B, C],
    [C, D],
  ] as const) {
    const q = await ask(from, to);
    await read(to);
    await answer(to, from, q);
    await read(from);
  }
  for (let i = 0; i < 4; i++) await ask(Q, N);
  const toT = [await ask(R, T), await ask(R, T), await ask(R, T)];
  await read(T);
  await answer(T, R, toT[0]!);
  for (let i = 0; i < 2; i++) {
    const viaM = await ask(R, M);
    await read(M);
    await answer(M, R, viaM);
    const onward = await ask(M, T);
    await read(T);
    await answer(T, M, onward);
  }
  await read(R);
  await read(M);
  await send(X, Y);

  const task = async (who: Agent, end?: 'complete' | 'fail') => {
    const created = await h.api('POST', '/api/v1/tasks', {
      token: H.token,
      body: { title: `for ${who.id}` },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.task.task_id;
    expect((await h.api('POST', `/api/v1/tasks/${id}/claim`, { token: who.token, body: {} })).status).toBe(
      200,
    );
    if (!end) return;
    const body = end === 'complete' ? { result: { ok: true } } : { reason: 'cannot', retryable: false };
    expect((await h.api('POST', `/api/v1/tasks/${id}/${end}`, { token: who.token, body })).status).toBe(200);
  };
  await task(S[0]!, 'complete');
  await task(S[0]!, 'complete');
  await task(S[1]!, 'complete');
  await task(S[1]!, 'fail');
  await task(S[2]!);
  const busy = await h.api('POST', `/api/v1/agents/${S[2]!.id}/heartbeat`, {
    token: S[2]!.token,
    body: { status: 'busy' },
  });
  expect(busy.status).toBe(200);
  return { H, S, A, B, C, D, Q, N, R, M, T, I, X, Y };
}

describe('communication graph', () => {
  it('draws the scenario exactly: nodes, edges, reliability, backlog, and a cached answer', async () => {
    t = await hubs.start();
    const w = await scenario(t);
    const admin = { token: t.adminToken };
    const graph = await t.api('GET', '/api/v1/graph?project=default', admin);
    expect(graph.status, JSON.stringify(graph.body)).toBe(200);
    expect(graph.body.totals).toEqual({ agents: 16, edges: 23, messages: 32 });
    expect(graph.body.cached).toBe(false);
    const node = (a: Agent) => graph.body.nodes.find((n: any) => n.agent_id === a.id);
    const edge = (from: Agent, to: Agent) =>
      graph.body.edges.find((e: any) => e.from === from.id && e.to === to.id);
    expect(node(w.H)).toMatchObject({
      name: 'H',
      role: 'lead',
      status: 'active',
      sent: 5,
      received: 5,
      backlog: 0,
      neighbours: 5,
      traffic: 10,
    });
    expect(node(w.N)).toMatchObject({ sent: 0, received: 4, backlog: 4, neighbours: 1 });
    expect(node(w.S[2]!)).toMatchObject({
      capabilities: ['review'],
      status: 'busy',
      held_tasks: 1,
      tasks_claimed: 1,
    });
    expect(node(w.I)).toMatchObject({ sent: 0, received: 0, neighbours: 0, traffic: 0 });
    expect(edge(w.H, w.S[0]!)).toMatchObject({ messages: 1, requests: 1, responses: 1, reliability: 1 });
    expect(edge(w.S[0]!, w.H)).toMatchObject({ messages: 1, requests: 0, responses: 0, reliability: null });
    expect(edge(w.Q, w.N)).toMatchObject({
      messages: 4,
      requests: 4,
      responses: 0,
      reliability: 0,
      mean_latency_ms: null,
    });
    expect(edge(w.R, w.T)).toMatchObject({ messages: 3, requests: 3, responses: 1, reliability: 0.3333 });
    expect(edge(w.M, w.T)).toMatchObject({ messages: 2, requests: 2, responses: 2, reliability: 1 });
    expect(edge(w.R, w.T).mean_latency_ms).toBeGreaterThanOrEqual(0);

    const again = await t.api('GET', '/api/v1/graph?project=default', admin);
    expect(again.body).toMatchObject({ cached: true, totals: graph.body.totals });
  });

  it('detect_patterns names the hub, the pipeline in order, the bottleneck and the isolated agent', async () => {
    t = await hubs.start();
    const w = await scenario(t);
    const r = await t.api('GET', '/api/v1/graph/patterns?project=default', { token: t.adminToken });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const of = (kind: string) => r.body.patterns.filter((p: any) => p.kind === kind);
    expect(of('hub')).toEqual([
      {
        kind: 'hub',
        agents: [w.H.id, ...w.S.map((s) => s.id)],
        figures: { neighbours: 5, messages: 10, group_messages: 10, traffic_share: 1, degree_share: 1 },
        summary: 'H is a hub: linked with 5 agents, it carries 10 of the 10 messages of its group (100%)',
      },
    ]);
    expect(of('pipeline')).toEqual([
      {
        kind: 'pipeline',
        agents: [w.A.id, w.B.id, w.C.id, w.D.id],
        figures: { agents: 4, hops: 3, work_messages: 3, min_hop_messages: 1 },
        summary: 'Pipeline: A → B → C → D pass work along (1, 1, 1 messages per hop)',
      },
    ]);
    expect(of('bottleneck')).toEqual([
      {
        kind: 'bottleneck',
        agents: [w.N.id],
        // T left 2 of R's requests unanswered: 2 waiting over the 15 others.
        figures: {
          backlog: 4,
          unanswered_requests: 4,
          waiting: 4,
          peers_mean_waiting: 0.1333,
          betweenness: 0,
        },
        summary:
          'N is a bottleneck: 4 unread, 4 requests unanswered (others: 0.13 waiting on average), betweenness 0',
      },
    ]);
    expect(of('isolated').map((p: any) => p.agents)).toEqual([[w.I.id]]);
    const communities: string[][] = of('community').map((p: any) => p.agents);
    const star = new Set([w.H.id, ...w.S.map((s) => s.id)]);
    for (const c of communities) expect(new Set(c.map((id) => star.has(id))).size).toBe(1);
    expect(communities.flat()).toEqual(expect.arrayContaining([w.H.id, w.A.id, w.R.id]));

    // The same patterns are insights, each with an action.
    const ins = await t.api('GET', '/api/v1/analytics/insights?project=default', { token: t.adminToken });
    expect(ins.status, JSON.stringify(ins.body)).toBe(200);
    const insight = (kind: string) =>
      ins.body.findings.filter((f: any) => f.kind === kind).map((f: any) => [f.severity, f.agents]);
    expect(insight('hub_and_spoke')).toEqual([['info', [w.H.id, ...w.S.map((s) => s.id)]]]);
    expect(insight('pipeline')).toEqual([['info', [w.A.id, w.B.id, w.C.id, w.D.id]]]);
    expect(insight('bottleneck')).toEqual([['warning', [w.N.id]]]);
  });

  it('find_route takes the reliable longer path over the shorter unreliable one', async () => {
    t = await hubs.start();
    const w = await scenario(t);
    const admin = { token: t.adminToken };
    const r = await t.api('GET', `/api/v1/graph/route?from=${w.R.id}&to=${w.T.id}`, admin);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ from: 'r', to: 't', path: ['r', 'm', 't'], reliability: 1 });
    expect(r.body.hops.map((h: any) => [h.from, h.to, h.requests, h.responses, h.reliability])).toEqual([
      ['r', 'm', 2, 2, 1],
      ['m', 't', 2, 2, 1],
    ]);
    const pipe = await t.api('GET', `/api/v1/graph/route?from=${w.A.id}&to=${w.D.id}`, admin);
    expect(pipe.body.path).toEqual(['a', 'b', 'c', 'd']);
    const toReview = await t.api('GET', `/api/v1/graph/route?from=${w.H.id}&capability=review`, admin);
    expect(toReview.body).toMatchObject({ path: ['h', 's1'], reliability: 1 });

    const never = await t.api('GET', `/api/v1/graph/route?from=${w.Q.id}&to=${w.N.id}`, admin);
    expect(never.status).toBe(404);
    expect(never.body.error.message).toMatch(/No route from q to n/);
    const unknown = await t.api('GET', `/api/v1/graph/route?from=${w.Q.id}&to=nobody`, admin);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toMatch(/No agent nobody/);
    const both = await t.api(
      'GET',
      `/api/v1/graph/route?from=${w.Q.id}&to=${w.N.id}&capability=review`,
      admin,
    );
    expect(both.status).toBe(400);
  });

  it('recommend_agents ranks as the numbers say, with the reason for each rank', async () => {
    t = await hubs.start();
    const w = await scenario(t);
    const r = await t.api('GET', `/api/v1/graph/recommend?capability=review&for_agent=${w.H.id}`, {
      token: t.adminToken,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const [s1, s2, s3, ...rest] = r.body.agents;
    expect(rest).toEqual([]);
    expect(s1).toMatchObject({
      rank: 1,
      agent_id: 's1',
      success_rate: 1,
      tasks_completed: 2,
      tasks_failed: 0,
      backlog: 0,
      held_tasks: 0,
      hops: 1,
    });
    expect(s1.parts).toMatchObject({ success: 1, load: 1, presence: 1, closeness: 1 });
    expect(s2).toMatchObject({
      rank: 2,
      agent_id: 's2',
      success_rate: 0.5,
      tasks_completed: 1,
      tasks_failed: 1,
      hops: 1,
    });
    expect(s2.parts).toMatchObject({ success: 0.5, load: 1, presence: 1, closeness: 1 });
    expect(s3).toMatchObject({
      rank: 3,
      agent_id: 's3',
      status: 'busy',
      success_rate: null,
      held_tasks: 1,
      hops: 1,
    });
    expect(s3.parts).toMatchObject({ success: 0.5, load: 0.5, presence: 0.6, closeness: 1 });
    for (const a of r.body.agents) {
      const p = a.parts;
      const score =
        0.3 * p.success + 0.15 * p.response + 0.2 * p.load + 0.25 * p.presence + 0.1 * p.closeness;
      expect(a.score).toBeCloseTo(score, 3);
      expect(a.mean_response_ms).toBeGreaterThanOrEqual(0);
    }
    expect(s2.reason).toMatch(
      /^#2, score [\d.]+: completed 1 of 2 tasks \(50%\); answers in [\d.]+ ms on average; load 0 \(0 unread, 0 tasks held\); active; 1 hop\(s\) from h$/,
    );
    expect(s3.reason).toMatch(/no finished tasks yet; .*load 1 \(0 unread, 1 tasks held\); busy/);
  });

  it('an agent token of another project sees none of it', async () => {
    t = await hubs.start();
    const w = await scenario(t);
    const x = { token: w.X.token };
    const graph = await t.api('GET', '/api/v1/graph', x);
    expect(graph.status).toBe(200);
    expect(graph.body.nodes.map((n: any) => n.agent_id).sort()).toEqual(['x', 'y']);
    expect(graph.body.edges).toEqual([expect.objectContaining({ from: 'x', to: 'y', messages: 1 })]);
    const patterns = await t.api('GET', '/api/v1/graph/patterns', x);
    expect(
      patterns.body.patterns.flatMap((p: any) => p.agents).every((id: string) => id === 'x' || id === 'y'),
    ).toBe(true);
    expect((await t.api('GET', '/api/v1/graph?project=default', x)).status).toBe(403);
    const route = await t.api('GET', `/api/v1/graph/route?from=${w.R.id}&to=${w.T.id}`, x);
    expect(route.status).toBe(404);
    const rec = await t.api('GET', '/api/v1/graph/recommend?capability=review', x);
    expect(rec.body.agents).toEqual([]);
    // The admin sees both projects in one graph.
    const all = await t.api('GET', '/api/v1/graph', { token: t.adminToken });
    expect(all.body.totals).toMatchObject({ agents: 18, edges: 24, messages: 33 });
  });
});
