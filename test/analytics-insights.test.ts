/**
 * analytics_insights over a real hub: a scripted scenario with one of each problem — a slow
 * responder, an inbox nobody reads, a failing downstream tool (the fixture MCP server), a cost
 * outlier among scripted instances, a task that re-opens three times, an agent nobody talks to —
 * comes back as exactly those findings, with the right agents and figures; a quiet healthy hub has none.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURE } from './gateway-support.js';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { TestClock } from './helpers/clock.js';
import { spawnScripted, until } from './helpers/instances.js';

let t: TestHub | undefined;
const instances: string[] = [];
afterEach(async () => {
  for (const id of instances.splice(0))
    await t?.api('DELETE', `/api/v1/instances/${id}`, { token: t.adminToken });
  await t?.close();
  t = undefined;
});

type Agent = { id: string; token: string };

async function send(h: TestHub, from: Agent, body: Record<string, unknown>): Promise<string> {
  const r = await h.api('POST', '/api/v1/messages', { token: from.token, body });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.message_id;
}

async function ok(p: Promise<{ status: number; body: any }>, status = 200) {
  const r = await p;
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  return r.body;
}

describe('analytics_insights', () => {
  it('names the slow responder, the growing backlog, the failing tool, the cost outlier, the re-opening task and the isolated agent', async () => {
    const clock = new TestClock(Date.parse('2026-12-06T10:00:00.000Z'));
    t = await startTestHub(
      {
        analytics: { cacheSeconds: 0 },
        gateway: { servers: [{ name: 'fixture', command: process.execPath, args: [FIXTURE, 'insights'] }] },
      },
      { clock },
    );
    const h = t;
    const admin = h.adminToken;
    const lone = await h.register('Lone', { agent_id: 'lone' });
    clock.advance(11 * 60);
    const lead = await h.register('Lead', { agent_id: 'lead' });
    const fast1 = await h.register('Fast1', { agent_id: 'fast1' });
    const fast2 = await h.register('Fast2', { agent_id: 'fast2' });
    const slow = await h.register('Slow', { agent_id: 'slow' });
    const sink = await h.register('Sink', { agent_id: 'sink' });

    // Requests: the fast two answer at once, Slow 30 s later.
    const asked: Record<string, string> = {};
    for (const w of [fast1, fast2, slow])
      asked[w.id] = await send(h, lead, { to: w.id, type: 'request', body: 'go' });
    for (const w of [fast1, fast2])
      await send(h, w, { to: lead.id, type: 'response', reply_to: asked[w.id], body: 'done' });
    clock.advance(30);
    await send(h, slow, { to: lead.id, type: 'response', reply_to: asked[slow.id], body: 'done, late' });

    // Sink is sent six notes and never reads its inbox.
    for (let i = 0; i < 6; i++) await send(h, lead, { to: sink.id, body: `note ${i}` });

    // A task given back three times (retryable failures), by Fast1, Fast2, then Fast1 again.
    const task = await ok(
      h.api('POST', '/api/v1/tasks', { token: lead.token, body: { title: 'Flaky job', max_attempts: 5 } }),
      201,
    );
    const taskId = task.task.task_id;
    for (const w of [fast1, fast2, fast1]) {
      await ok(h.api('POST', `/api/v1/tasks/${taskId}/claim`, { token: w.token, body: {} }));
      await ok(
        h.api('POST', `/api/v1/tasks/${taskId}/fail`, {
          token: w.token,
          body: { reason: 'flaky', retryable: true },
        }),
      );
    }

    // A downstream tool that fails every call (three workflow runs), and one that works.
    await until(
      'the fixture server',
      async () =>
        (await h.api('GET', '/api/v1/gateway/health?name=fixture', { token: admin })).body.servers?.[0]
          ?.state === 'ready',
    );
    const run = (steps: unknown[]) =>
      h.api('POST', '/api/v1/workflows', { token: admin, body: { definition: { steps }, wait: true } });
    for (let i = 0; i < 3; i++)
      expect((await run([{ id: 'f', call: 'fixture__fixture_fail', input: {} }])).body.status).toBe('failed');
    expect((await run([{ id: 'e', call: 'fixture__fixture_echo', input: { text: 'hi' } }])).body.status).toBe(
      'completed',
    );

    // Three scripted instances: two spend a cent a turn, one fifty cents.
    const spenders: string[] = [];
    for (const cost of [0.01, 0.01, 0.5]) {
      const inst = await spawnScripted(h, lead.token, {
        default: { reply: 'ok', usage: { input_tokens: 100, output_tokens: 10 }, cost_usd: cost },
      });
      instances.push(inst.instance_id);
      spenders.push(inst.agent_id);
      const turn = await ok(
        h.api('POST', `/api/v1/instances/${inst.instance_id}/send`, {
          token: lead.token,
          body: { message: 'work', timeout_seconds: 60 },
        }),
      );
      expect(turn.status).toBe('completed');
    }
    // Lone is present but nobody talks with it.
    await ok(h.api('POST', `/api/v1/agents/${lone.id}/heartbeat`, { token: lone.token, body: {} }));

    const r = await ok(h.api('GET', '/api/v1/analytics/insights', { token: admin }));
    expect(r.since).toBe('2026-12-05T10:11:30.000Z');
    expect(r.counts).toEqual({ critical: 3, warning: 3, info: 2 });
    expect(r.findings.map((f: any) => [f.severity, f.kind, f.agents, f.evidence])).toEqual([
      [
        'critical',
        'cost_outlier',
        [spenders[2]],
        { cost_usd: 0.5, peers_median_usd: 0.01, times_median: 50, tokens: 110, peers: 2 },
      ],
      ['critical', 'failing_tool', [], { calls: 3, errors: 3, error_rate: 1 }],
      [
        'critical',
        'slow_responder',
        ['slow'],
        { mean_response_ms: 30_000, peers_median_ms: 0, responses: 1, peers: 2 },
      ],
      ['warning', 'backlog', ['sink'], { unread: 6, received: 6, sent: 0, answered: 0 }],
      // From the communication graph: Sink's backlog is said once (above), Lead's here.
      [
        'warning',
        'bottleneck',
        ['lead'],
        { backlog: 3, unanswered_requests: 0, waiting: 3, peers_mean_waiting: 1.125, betweenness: 0.1607 },
      ],
      ['warning', 'reopening_task', ['fast1', 'fast2'], { reopens: 3, attempts: 3, max_attempts: 5 }],
      [
        'info',
        'hub_and_spoke',
        ['lead', 'fast1', 'fast2', 'sink', 'slow'],
        { neighbours: 4, messages: 12, group_messages: 12, traffic_share: 1, degree_share: 1 },
      ],
      [
        'info',
        'isolated_agent',
        ['lone'],
        { sent: 0, received: 0, registered_minutes_ago: 11, talking_peers: 5 },
      ],
    ]);
    const titles = r.findings.map((f: any) => f.title);
    expect(titles).toContain('Downstream tool fixture__fixture_fail failed 3 of 3 calls (100%)');
    expect(titles).toContain('Slow (slow) answers in 30 s on average, against 0 s for its peers');
    expect(titles).toContain(`Task "Flaky job" (${taskId}) re-opened 3 times (3 of 5 attempts, now open)`);
    for (const f of r.findings) expect(f.action.length).toBeGreaterThan(20);

    // An agent of the project sees the same minus the hub-wide tool figures; another project sees none.
    const mine = await ok(h.api('GET', '/api/v1/analytics/insights?limit=2', { token: lead.token }));
    expect(mine.counts).toEqual({ critical: 2, warning: 3, info: 2 });
    expect(mine.findings.map((f: any) => f.kind)).toEqual(['cost_outlier', 'slow_responder']);
    const stranger = await h.register('Stranger', { project: 'other' });
    const theirs = await ok(h.api('GET', '/api/v1/analytics/insights', { token: stranger.token }));
    expect(theirs.findings).toEqual([]);
    const peek = await h.api('GET', '/api/v1/analytics/insights?project=default', { token: stranger.token });
    expect(peek.status).toBe(403);

    // Once Sink reads its inbox, its backlog finding is gone.
    await ok(h.api('GET', `/api/v1/messages?agent_id=${sink.id}&limit=100`, { token: sink.token }));
    const after = await ok(h.api('GET', '/api/v1/analytics/insights', { token: admin }));
    expect(after.findings.map((f: any) => f.kind)).not.toContain('backlog');
  });

  it('flags nothing to worry about on a quiet, healthy hub (its shape only, as info)', async () => {
    t = await startTestHub({ analytics: { cacheSeconds: 0 } });
    const h = t;
    const lead = await h.register('Lead');
    const workers = [await h.register('W1'), await h.register('W2'), await h.register('W3')];
    for (const w of workers) {
      const id = await send(h, lead, { to: w.id, type: 'request', body: 'go' });
      await ok(h.api('GET', `/api/v1/messages?agent_id=${w.id}`, { token: w.token }));
      await send(h, w, { to: lead.id, type: 'response', reply_to: id, body: 'done' });
    }
    await ok(h.api('GET', `/api/v1/messages?agent_id=${lead.id}`, { token: lead.token }));
    const task = await ok(
      h.api('POST', '/api/v1/tasks', { token: lead.token, body: { title: 'Easy' } }),
      201,
    );
    await ok(
      h.api('POST', `/api/v1/tasks/${task.task.task_id}/claim`, { token: workers[0]!.token, body: {} }),
    );
    await ok(
      h.api('POST', `/api/v1/tasks/${task.task.task_id}/complete`, {
        token: workers[0]!.token,
        body: { result: 1 },
      }),
    );
    const r = await ok(h.api('GET', '/api/v1/analytics/insights', { token: h.adminToken }));
    expect(r).toMatchObject({ counts: { critical: 0, warning: 0, info: 1 }, cached: false });
    expect(r.findings.map((f: any) => [f.kind, f.agents])).toEqual([
      ['hub_and_spoke', [lead.id, ...workers.map((w) => w.id)]],
    ]);
  });
});
