/**
 * Tasks over REST on a real hub (real SQLite file): the lifecycle, atomic claims, forbidden moves,
 * bad input that stores nothing, and the numbers task_stats reads back from the attempt history.
 */
import { describe, expect, it } from 'vitest';
import { hubPerTest, type TestHub } from './helpers/hub.js';

let t: TestHub | undefined;
const hubs = hubPerTest();

type Agent = { id: string; token: string };

async function post(hub: TestHub, who: Agent, path: string, body: unknown = {}) {
  return hub.api('POST', path, { token: who.token, body });
}

describe('tasks over REST', () => {
  it('walks create → claim → update → complete, and task_stats counts it', async () => {
    t = await hubs.start();
    const boss = await t.register('boss');
    const worker = await t.register('worker', { capabilities: ['python'] });

    const created = await post(t, boss, '/api/v1/tasks', {
      title: 'port the parser',
      description: 'to python',
      input: { file: 'parser.ts' },
      required_capabilities: ['python'],
      priority: 5,
    });
    expect(created.status).toBe(201);
    const task = created.body.task;
    expect(task).toMatchObject({
      status: 'open',
      created_by: boss.id,
      assignee: null,
      input: { file: 'parser.ts' },
      required_capabilities: ['python'],
      attempts: 0,
    });

    const listed = await t.api('GET', '/api/v1/tasks?status=open&capability=python', { token: worker.token });
    expect(listed.body.tasks.map((x: { task_id: string }) => x.task_id)).toEqual([task.task_id]);

    const claimed = await post(t, worker, `/api/v1/tasks/${task.task_id}/claim`);
    expect(claimed.status).toBe(200);
    expect(claimed.body.task).toMatchObject({ status: 'claimed', assignee: worker.id, attempts: 1 });
    expect(claimed.body.task.lease_expires_at).toEqual(expect.any(String));

    const updated = await post(t, worker, `/api/v1/tasks/${task.task_id}/update`, {
      progress: 40,
      note: 'lexer done',
    });
    expect(updated.body.task).toMatchObject({
      status: 'in_progress',
      progress: 40,
      progress_note: 'lexer done',
    });
    expect(updated.body.task.started_at).toEqual(expect.any(String));

    const done = await post(t, worker, `/api/v1/tasks/${task.task_id}/complete`, {
      result: { lines: 120 },
      artifacts: [{ name: 'parser.py', uri: 'file:///tmp/parser.py' }],
    });
    expect(done.status).toBe(200);
    expect(done.body.task).toMatchObject({
      status: 'completed',
      result: { lines: 120 },
      artifacts: [{ name: 'parser.py', uri: 'file:///tmp/parser.py' }],
    });
    expect(done.body.task.finished_at).toEqual(expect.any(String));

    const got = await t.api('GET', `/api/v1/tasks/${task.task_id}`, { token: boss.token });
    expect(got.body.task.status).toBe('completed');

    const stats = await t.api('GET', `/api/v1/tasks/stats?agent_id=${worker.id}`, { token: boss.token });
    expect(stats.body.agents).toEqual([
      expect.objectContaining({ agent_id: worker.id, claimed: 1, completed: 1, failed: 0 }),
    ]);
    expect(stats.body.agents[0].mean_seconds_to_complete).toBeGreaterThanOrEqual(0);
  });

  it('50 concurrent claims of one task: exactly one winner, the rest get conflict naming it', async () => {
    t = await hubs.start({ rateLimit: { enabled: false } });
    const boss = await t.register('boss');
    const workers: Agent[] = [];
    for (let i = 0; i < 50; i++) workers.push(await t.register(`w${i}`));
    const task = (await post(t, boss, '/api/v1/tasks', { title: 'only one' })).body.task;

    const answers = await Promise.all(workers.map((w) => post(t!, w, `/api/v1/tasks/${task.task_id}/claim`)));
    const winners = answers.filter((a) => a.status === 200);
    expect(winners).toHaveLength(1);
    const winner = winners[0].body.task.assignee;
    const losers = answers.filter((a) => a.status !== 200);
    expect(losers).toHaveLength(49);
    for (const l of losers) {
      expect(l.status).toBe(409);
      expect(l.body.error.code).toBe('conflict');
      expect(l.body.error.message).toContain(winner);
    }
    const stored = await t.api('GET', `/api/v1/tasks/${task.task_id}`, { token: boss.token });
    expect(stored.body.task).toMatchObject({ status: 'claimed', assignee: winner, attempts: 1 });
  });

  it('claim without an id takes the best open task the agent is capable of', async () => {
    t = await hubs.start();
    const boss = await t.register('boss');
    const worker = await t.register('worker', { capabilities: ['go'] });
    await post(t, boss, '/api/v1/tasks', {
      title: 'needs rust',
      required_capabilities: ['rust'],
      priority: 9,
    });
    await post(t, boss, '/api/v1/tasks', { title: 'low go', required_capabilities: ['go'], priority: 1 });
    const high = (
      await post(t, boss, '/api/v1/tasks', { title: 'high go', required_capabilities: ['go'], priority: 3 })
    ).body.task;
    const first = await post(t, worker, '/api/v1/ops/claim_task', {});
    expect(first.body.task.task_id).toBe(high.task_id);
    const second = await post(t, worker, '/api/v1/ops/claim_task', {});
    expect(second.body.task.title).toBe('low go');
    const none = await post(t, worker, '/api/v1/ops/claim_task', {});
    expect(none.status).toBe(200);
    expect(none.body.task).toBeNull();
  });

  it('refuses forbidden transitions with 403/409 and a reason', async () => {
    t = await hubs.start();
    const boss = await t.register('boss');
    const a = await t.register('a');
    const b = await t.register('b');
    const task = (await post(t, boss, '/api/v1/tasks', { title: 'x' })).body.task;
    await post(t, a, `/api/v1/tasks/${task.task_id}/claim`);

    const stolen = await post(t, b, `/api/v1/tasks/${task.task_id}/complete`, { result: 1 });
    expect(stolen.status).toBe(403);
    expect(stolen.body.error.message).toContain(a.id);
    expect(stolen.body.error.message).toMatch(/only the agent holding it may complete it/);

    const notCreator = await post(t, b, `/api/v1/tasks/${task.task_id}/cancel`);
    expect(notCreator.status).toBe(403);

    await post(t, a, `/api/v1/tasks/${task.task_id}/complete`, { result: 1 });
    const late = await post(t, b, `/api/v1/tasks/${task.task_id}/claim`);
    expect(late.status).toBe(409);
    expect(late.body.error.message).toMatch(/completed/);
    const again = await post(t, a, `/api/v1/tasks/${task.task_id}/complete`, { result: 2 });
    expect(again.status).toBe(409);

    const needy = (await post(t, boss, '/api/v1/tasks', { title: 'y', required_capabilities: ['gpu'] })).body
      .task;
    const incapable = await post(t, a, `/api/v1/tasks/${needy.task_id}/claim`);
    expect(incapable.status).toBe(403);
    expect(incapable.body.error.message).toContain('gpu');

    const missing = await post(t, a, '/api/v1/tasks/tsk_nope/claim');
    expect(missing.status).toBe(404);
  });

  it('rejects bad input naming the field, and stores nothing', async () => {
    t = await hubs.start();
    const boss = await t.register('boss');
    const cases: Array<[unknown, string]> = [
      [{}, 'title'],
      [{ title: '' }, 'title'],
      [{ title: 'x', priority: 'high' }, 'priority'],
      [{ title: 'x', deadline: 'tomorrow' }, 'deadline'],
      [{ title: 'x', deadline: '2001-01-01T00:00:00Z' }, 'deadline'],
      [{ title: 'x', max_attempts: 0 }, 'max_attempts'],
      [{ title: 'x', lease_seconds: -5 }, 'lease_seconds'],
      [{ title: 'x', required_capabilities: ['has space'] }, 'required_capabilities'],
      [{ title: 'x', assignee: 'nobody-here' }, 'assignee'],
      [{ title: 'x', parent_task_id: 'tsk_missing' }, 'parent_task_id'],
      [{ title: 'x', route: 'manual' }, 'route'],
      [{ title: 'x', colour: 'red' }, 'colour'],
    ];
    for (const [body, field] of cases) {
      const res = await post(t, boss, '/api/v1/tasks', body);
      expect(res.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(res.status, JSON.stringify(body)).toBeLessThan(500);
      expect(res.body.error.message, JSON.stringify(body)).toContain(field);
    }
    const all = await t.api('GET', '/api/v1/tasks', { token: t.adminToken });
    expect(all.body.tasks).toEqual([]);

    const task = (await post(t, boss, '/api/v1/tasks', { title: 'ok' })).body.task;
    const worker = await t.register('w');
    await post(t, worker, `/api/v1/tasks/${task.task_id}/claim`);
    const badProgress = await post(t, worker, `/api/v1/tasks/${task.task_id}/update`, { progress: 150 });
    expect(badProgress.status).toBe(400);
    expect(badProgress.body.error.message).toContain('progress');
    const noReason = await post(t, worker, `/api/v1/tasks/${task.task_id}/fail`, {});
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.message).toContain('reason');
    const after = await t.api('GET', `/api/v1/tasks/${task.task_id}`, { token: boss.token });
    expect(after.body.task).toMatchObject({ status: 'claimed', progress: null, version: 2 });
  });
});
