/**
 * fan_out and run_pipeline on a real hub, with workers that are small loops over the WebSocket and
 * REST APIs (a task assigned to them arrives as a task.claimed frame; they complete or fail it).
 */
import { describe, expect, it } from 'vitest';
import { hubPerTest, type TestHub } from './helpers/hub.js';
import { connect2025, structured } from './mcp-clients.js';
import { WsClient } from './ws-resume-client.js';

let t: TestHub | undefined;
const sockets: WsClient[] = [];
const hubs = hubPerTest(async () => {
  for (const s of sockets.splice(0)) await s.close();
});

type Work = (task: any) => Promise<{ result: unknown } | { fail: string }>;

/** A registered agent that works on every task assigned to it. */
async function worker(hub: TestHub, name: string, work: Work, capabilities: string[] = []) {
  const agent = await hub.register(name, { capabilities });
  const ws = await WsClient.connect(hub.url, agent.id, { token: agent.token });
  sockets.push(ws);
  const seen = new Set<string>();
  const inputs: unknown[] = [];
  ws.socket.on('message', async (data) => {
    const frame = JSON.parse(String(data));
    if (frame.type !== 'task.claimed' || frame.task.assignee !== agent.id || seen.has(frame.task.task_id))
      return;
    seen.add(frame.task.task_id);
    inputs.push(frame.task.input);
    const out = await work(frame.task);
    const id = frame.task.task_id;
    // A worker may finish after its test has ended and the hub is gone: that is not a failure.
    try {
      if ('fail' in out) {
        await hub.api('POST', `/api/v1/tasks/${id}/fail`, { token: agent.token, body: { reason: out.fail } });
      } else {
        await hub.api('POST', `/api/v1/tasks/${id}/complete`, {
          token: agent.token,
          body: { result: out.result },
        });
      }
    } catch {
      /* the hub has closed */
    }
  });
  return { ...agent, inputs };
}

/** A promise the test resolves by hand. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

describe('fan_out', () => {
  it('with a quorum returns as soon as k agents completed, while the others keep working', async () => {
    t = await hubs.start();
    const hub = t;
    const boss = await hub.register('boss');
    const slow = gate();
    const fast1 = await worker(
      hub,
      'fast-1',
      async (task) => ({ result: { verdict: 'approve', by: task.assignee } }),
      ['review'],
    );
    const fast2 = await worker(hub, 'fast-2', async () => ({ result: { verdict: 'approve' } }), ['review']);
    const laggard = await worker(
      hub,
      'laggard',
      async () => {
        await slow.opened;
        return { result: { verdict: 'late approve' } };
      },
      ['review'],
    );

    const res = await hub.api('POST', '/api/v1/fan-out', {
      token: boss.token,
      body: {
        title: 'Review PR 7',
        input: { pr: 7 },
        capability: 'review',
        collect: 'quorum',
        quorum: 2,
        timeout_seconds: 60,
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const out = res.body;
    expect(out).toMatchObject({ collect: 'quorum', needed: 2, met: true, timed_out: false, failed: [] });
    expect(out.results.map((r: any) => r.agent_id).sort()).toEqual([fast1.id, fast2.id].sort());
    expect(out.results.find((r: any) => r.agent_id === fast1.id).result).toEqual({
      verdict: 'approve',
      by: fast1.id,
    });
    expect(out.pending).toEqual([expect.objectContaining({ agent_id: laggard.id, status: 'claimed' })]);
    expect(fast1.inputs).toEqual([{ pr: 7 }]);

    // The laggard is still at work and may finish; then the parent task completes with every result.
    const laggardTask = out.pending[0].task_id;
    expect(
      (await hub.api('GET', `/api/v1/tasks/${laggardTask}`, { token: boss.token })).body.task.status,
    ).toBe('claimed');
    slow.open();
    const parent = await hub.api(
      'GET',
      `/api/v1/tasks/${out.parent_task_id}/wait?until=finished&timeout_seconds=30`,
      {
        token: boss.token,
      },
    );
    expect(parent.body.task.status).toBe('completed');
    const children = await hub.api('GET', `/api/v1/tasks?parent_task_id=${out.parent_task_id}`, {
      token: boss.token,
    });
    const byAssignee = new Map(children.body.tasks.map((c: any) => [c.assignee, c]));
    expect((byAssignee.get(laggard.id) as any).result).toEqual({ verdict: 'late approve' });
  });

  it('collect all returns every answer with failures; at the deadline the silent agents are reported and their tasks cancelled', async () => {
    t = await hubs.start();
    const hub = t;
    const boss = await hub.register('boss');
    // ok answers only after bad's task has failed: collect all must still wait for it.
    const ok = await worker(hub, 'ok', async (task) => {
      for (;;) {
        const failed = await hub.api(
          'GET',
          `/api/v1/tasks?parent_task_id=${task.parent_task_id}&status=failed`,
          {
            token: boss.token,
          },
        );
        if (failed.body.tasks.length > 0 || task.input.n !== 21) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      return { result: task.input.n * 2 };
    });
    const bad = await worker(hub, 'bad', async () => ({ fail: 'out of disk' }));
    const all = await hub.api('POST', '/api/v1/fan-out', {
      token: boss.token,
      body: { title: 'double', input: { n: 21 }, agents: [ok.id, bad.id], timeout_seconds: 60 },
    });
    expect(all.body).toMatchObject({ collect: 'all', met: false, timed_out: false, pending: [] });
    expect(all.body.results).toEqual([
      expect.objectContaining({ agent_id: ok.id, result: 42, status: 'completed' }),
    ]);
    expect(all.body.failed).toEqual([
      expect.objectContaining({ agent_id: bad.id, failure_reason: 'out of disk' }),
    ]);

    const silent = await hub.register('silent'); // never works on anything
    const partial = await hub.api('POST', '/api/v1/fan-out', {
      token: boss.token,
      body: {
        title: 'double',
        input: { n: 1 },
        agents: [ok.id, silent.id],
        collect: 'all',
        timeout_seconds: 1,
      },
    });
    expect(partial.body).toMatchObject({ met: false, timed_out: true });
    expect(partial.body.results.map((r: any) => r.result)).toEqual([2]);
    expect(partial.body.pending.map((p: any) => p.agent_id)).toEqual([silent.id]);
    const late = await hub.api('GET', `/api/v1/tasks/${partial.body.pending[0].task_id}`, {
      token: silent.token,
    });
    expect(late.body.task.status).toBe('cancelled');
  });

  it('collect first over MCP returns the first completed answer, with progress', async () => {
    t = await hubs.start();
    const hub = t;
    const boss = await hub.register('boss');
    const a = await worker(hub, 'a', async () => ({ result: 'from a' }));
    const hold = gate();
    const b = await worker(hub, 'b', async () => {
      await hold.opened;
      return { result: 'from b' };
    });
    const mcp = await connect2025(hub.url, { token: boss.token });
    const progress: Array<{ progress: number; total?: number; message?: string }> = [];
    try {
      const out = structured(
        await mcp.callTool(
          {
            name: 'fan_out',
            arguments: { title: 'anyone?', agents: [a.id, b.id], collect: 'first', timeout_seconds: 60 },
          },
          { onprogress: (p) => void progress.push(p) },
        ),
      );
      expect(out).toMatchObject({ collect: 'first', needed: 1, met: true });
      expect(out.results.map((r: any) => [r.agent_id, r.result])).toEqual([[a.id, 'from a']]);
      expect(out.pending.map((p: any) => p.agent_id)).toEqual([b.id]);
      expect(progress.length).toBeGreaterThan(0);
      expect(progress[0]).toMatchObject({ total: 60, message: expect.stringMatching(/of 2 completed/) });
    } finally {
      hold.open();
      await mcp.close();
    }
  });

  it('a deadline that has all but passed times out cleanly: no error half-way, no task left open', async () => {
    // Found by test/hostile-ops.test.ts: the children were created with the deadline of the call, which
    // had passed by then, so the call failed after opening its parent and coordinator tasks (left claimed).
    t = await hubs.start({ tasks: { defaultWaitSeconds: 0 } });
    const boss = await t.register('boss');
    const silent = await t.register('silent');
    for (const body of [
      { title: 'now', agents: [silent.id] },
      { title: 'soon', agents: [silent.id], timeout_seconds: 0.001 },
    ]) {
      const res = await t.api('POST', '/api/v1/fan-out', { token: boss.token, body });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ met: false, timed_out: true });
      expect(res.body.pending.map((p: any) => p.agent_id)).toEqual([silent.id]);
    }
    const open = await t.api('GET', '/api/v1/tasks?status=open,claimed,in_progress', { token: t.adminToken });
    expect(open.body.tasks).toEqual([]);
  });

  it('bad input gets a clear error naming the field, and no task is created', async () => {
    t = await hubs.start();
    const boss = await t.register('boss');
    const w = await t.register('w');
    const cases: Array<[Record<string, unknown>, number, RegExp]> = [
      [{ title: 'x' }, 400, /agents: give either/],
      [{ title: 'x', agents: [w.id], capability: 'review' }, 400, /agents: give either/],
      [{ title: 'x', agents: [w.id, 'ghost'] }, 404, /agents.1: agent ghost/],
      [{ title: 'x', capability: 'nobody' }, 404, /capability: no active agent/],
      [{ title: 'x', agents: [w.id], collect: 'quorum' }, 400, /quorum: collect "quorum" needs/],
      [{ title: 'x', agents: [w.id], collect: 'quorum', quorum: 2 }, 400, /quorum: 2 is more than the 1/],
      [{ title: 'x', agents: [w.id], quorum: 1 }, 400, /quorum: only collect "quorum"/],
      [{ title: 'x', agents: [w.id], collect: 'most' }, 400, /collect/],
      [{ title: 'x', agents: [w.id], timeout_seconds: 301 }, 400, /timeout_seconds/],
      [{ agents: [w.id] }, 400, /title/],
    ];
    for (const [body, status, message] of cases) {
      const res = await t.api('POST', '/api/v1/fan-out', { token: boss.token, body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.error.message).toMatch(message);
    }
    const pipe = await t.api('POST', '/api/v1/pipelines', {
      token: boss.token,
      body: {
        title: 'p',
        stages: [
          { agent: w.id, instruction: 'a' },
          { agent: w.id, capability: 'x', instruction: 'b' },
        ],
      },
    });
    expect(pipe.status).toBe(400);
    expect(pipe.body.error.message).toMatch(/stages.1: give either agent or capability/);
    const tasks = await t.api('GET', '/api/v1/tasks', { token: t.adminToken });
    expect(tasks.body.tasks).toEqual([]);
  });
});

describe('run_pipeline', () => {
  it('passes each stage’s result to the next stage as its input, through three agents', async () => {
    t = await hubs.start();
    const hub = t;
    const boss = await hub.register('boss');
    const upper = await worker(hub, 'upper', async (task) => ({
      result: { text: String(task.input.text).toUpperCase() },
    }));
    const reverse = await worker(
      hub,
      'reverse',
      async (task) => ({ result: { text: [...task.input.text].reverse().join('') } }),
      ['reversing'],
    );
    const wrap = await worker(hub, 'wrap', async (task) => ({
      result: { text: `[${task.input.text}]`, how: task.description },
    }));

    const res = await hub.api('POST', '/api/v1/pipelines', {
      token: boss.token,
      body: {
        title: 'shout backwards',
        input: { text: 'abc' },
        stages: [
          { agent: upper.id, instruction: 'upper-case the text' },
          { capability: 'reversing', instruction: 'reverse the text' },
          { agent: wrap.id, instruction: 'wrap it in brackets' },
        ],
        timeout_seconds: 60,
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      status: 'completed',
      output: { text: '[CBA]', how: 'wrap it in brackets' },
    });
    expect(res.body.stages.map((s: any) => [s.agent_id, s.status, s.input])).toEqual([
      [upper.id, 'completed', { text: 'abc' }],
      [reverse.id, 'completed', { text: 'ABC' }],
      [wrap.id, 'completed', { text: 'CBA' }],
    ]);
    expect(reverse.inputs).toEqual([{ text: 'ABC' }]);
    const parent = await hub.api(
      'GET',
      `/api/v1/tasks/${res.body.parent_task_id}/wait?until=finished&timeout_seconds=30`,
      {
        token: boss.token,
      },
    );
    expect(parent.body.task.status).toBe('completed');
    const children = await hub.api('GET', `/api/v1/tasks?parent_task_id=${res.body.parent_task_id}`, {
      token: boss.token,
    });
    const stageIds = res.body.stages.map((s: any) => s.task_id);
    for (const id of stageIds) expect(children.body.tasks.map((c: any) => c.task_id)).toContain(id);
  });

  it('on_failure stop skips the later stages; continue passes the failed stage’s input on', async () => {
    t = await hubs.start();
    const hub = t;
    const boss = await hub.register('boss');
    const inc = await worker(hub, 'inc', async (task) => ({ result: task.input + 1 }));
    const broken = await worker(hub, 'broken', async () => ({ fail: 'cannot' }));
    const stages = [
      { agent: inc.id, instruction: 'add one' },
      { agent: broken.id, instruction: 'try' },
      { agent: inc.id, instruction: 'add one again' },
    ];
    const stopped = await hub.api('POST', '/api/v1/pipelines', {
      token: boss.token,
      body: { title: 'count', input: 1, stages, timeout_seconds: 60 },
    });
    expect(stopped.body).toMatchObject({ status: 'failed', output: 2 });
    expect(stopped.body.stages.map((s: any) => s.status)).toEqual(['completed', 'failed', 'skipped']);
    expect(stopped.body.stages[1].failure_reason).toBe('cannot');
    const parent = await hub.api('GET', `/api/v1/tasks/${stopped.body.parent_task_id}`, {
      token: boss.token,
    });
    expect(parent.body.task.status).toBe('failed');

    const continued = await hub.api('POST', '/api/v1/pipelines', {
      token: boss.token,
      body: { title: 'count', input: 1, stages, on_failure: 'continue', timeout_seconds: 60 },
    });
    expect(continued.body).toMatchObject({ status: 'completed', output: 3 });
    expect(continued.body.stages.map((s: any) => [s.status, s.input])).toEqual([
      ['completed', 1],
      ['failed', 2],
      ['completed', 2],
    ]);
  });
});
