/**
 * Tasks over MCP with the official SDK clients (both protocol eras), and task events pushed on
 * the hub's live streams.
 */
import { describe, expect, it } from 'vitest';
import { ShiftedClock } from './helpers/clock.js';
import { hubPerTest, type TestHub } from './helpers/hub.js';
import { withDeadline } from './helpers/wait.js';
import { connect2025, connect2026, structured, textOf } from './mcp-clients.js';
import { WsClient } from './ws-resume-client.js';

let t: TestHub | undefined;
const closers: Array<() => Promise<void>> = [];
const hubs = hubPerTest(async () => {
  for (const c of closers.splice(0)) await c();
});

describe('tasks over MCP', () => {
  it('runs the whole lifecycle between a 2025-era creator and a 2026-era worker', async () => {
    t = await hubs.start();
    const boss = await t.register('boss');
    const worker = await t.register('worker', { capabilities: ['docs'] });
    const bossMcp = await connect2025(t.url, { token: boss.token });
    const workerMcp = await connect2026(t.url, { token: worker.token });
    closers.push(
      () => bossMcp.close(),
      () => workerMcp.close(),
    );
    const call = async (c: typeof bossMcp, name: string, args: Record<string, unknown>) =>
      structured(await c.callTool({ name, arguments: args }));

    const { task } = await call(bossMcp, 'create_task', {
      title: 'write the README',
      required_capabilities: ['docs'],
      input: { sections: 3 },
    });
    expect(task.status).toBe('open');

    const waiting = bossMcp.callTool(
      { name: 'wait_for_task', arguments: { task_id: task.task_id, until: 'finished', timeout_seconds: 60 } },
      { timeout: 90_000 },
    );

    const claimed = await call(workerMcp, 'claim_task', {});
    expect(claimed.task).toMatchObject({ task_id: task.task_id, assignee: worker.id });
    const asked = await call(workerMcp, 'request_input', { task_id: task.task_id, question: 'tone?' });
    expect(asked.task.status).toBe('input_required');
    const answered = await call(bossMcp, 'provide_input', { task_id: task.task_id, answer: 'friendly' });
    expect(answered.task.status).toBe('in_progress');
    await call(workerMcp, 'update_task', { task_id: task.task_id, progress: 50, note: 'half' });
    const done = await call(workerMcp, 'complete_task', {
      task_id: task.task_id,
      result: { words: 900 },
      artifacts: [{ name: 'README.md' }],
    });
    expect(done.task.status).toBe('completed');

    const woke = structured(await waiting);
    expect(woke).toMatchObject({ timed_out: false, task: { status: 'completed', result: { words: 900 } } });

    const listed = await call(bossMcp, 'list_tasks', { status: ['completed'] });
    expect(listed.total).toBe(1);
    const stats = await call(bossMcp, 'task_stats', { agent_id: worker.id });
    expect(stats.agents[0]).toMatchObject({ agent_id: worker.id, completed: 1 });

    const refused = await workerMcp.callTool({ name: 'claim_task', arguments: { task_id: task.task_id } });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/completed/);
    const bad = await bossMcp.callTool({
      name: 'create_task',
      arguments: { title: 'x', priority: 'urgent' },
    });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toContain('priority');
  });

  it('pushes task events to the creator and the holder over SSE', async () => {
    t = await hubs.start();
    const boss = await t.register('boss');
    const worker = await t.register('worker');
    const controller = new AbortController();
    closers.push(async () => controller.abort());
    const res = await fetch(`${t.url}/api/v1/events`, {
      headers: { authorization: `Bearer ${boss.token}` },
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    const seen: string[] = [];
    const want = ['task.created', 'task.claimed', 'task.completed'];
    // The hub writes `: connected as ...` once the stream is subscribed: events after it are not missed.
    let subscribed!: () => void;
    const connected = new Promise<void>((resolve) => (subscribed = resolve));
    const reading = (async () => {
      let text = '';
      while (!want.every((w) => seen.includes(w))) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
        if (text.includes(': connected as ')) subscribed();
        for (const m of text.matchAll(/event: (task\.[a-z_]+)/g)) if (!seen.includes(m[1])) seen.push(m[1]);
      }
    })();
    await withDeadline('the SSE stream to subscribe', connected);
    const task = (await t.api('POST', '/api/v1/tasks', { token: boss.token, body: { title: 'x' } })).body
      .task;
    await t.api('POST', `/api/v1/tasks/${task.task_id}/claim`, { token: worker.token, body: {} });
    await t.api('POST', `/api/v1/tasks/${task.task_id}/complete`, {
      token: worker.token,
      body: { result: 1 },
    });
    await withDeadline('the three task events on the SSE stream', reading);
    expect(seen).toEqual(want);
  });

  it('works over WebSocket call frames, and pushes the holder a frame when its lease runs out', async () => {
    const clock = new ShiftedClock();
    t = await hubs.start({}, { clock });
    const boss = await t.register('boss');
    const worker = await t.register('worker');
    const ws = await WsClient.connect(t.url, worker.id, { token: worker.token });
    closers.push(() => ws.close());
    const { task } = (
      await t.api('POST', '/api/v1/tasks', { token: boss.token, body: { title: 'x', lease_seconds: 30 } })
    ).body;
    const claimed = await ws.call({ type: 'call', op: 'claim_task', input: { task_id: task.task_id } }, 'c1');
    expect(claimed.task.assignee).toBe(worker.id);
    await ws.waitFor((f) => f.type === 'task.claimed' && f.task.task_id === task.task_id);
    clock.advance(31);
    await t.hub.services.tasks.sweep();
    const lost = await ws.waitFor((f) => f.type === 'task.reopened');
    expect(lost).toMatchObject({ by: null, task: { task_id: task.task_id, status: 'open', assignee: null } });
    await expect(
      ws.call({ type: 'call', op: 'complete_task', input: { task_id: task.task_id } }, 'c2'),
    ).rejects.toThrow(/open/);
  });
});
