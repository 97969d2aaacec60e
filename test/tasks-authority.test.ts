/**
 * Nobody settles another agent's task through a child. D creates a task and B holds it: an attacker
 * may not hang a child under it (403, nothing stored), over REST and MCP; and even the creator's
 * children never complete or fail the task B holds — the holder decides its outcome — while a
 * holder's own delegation still completes its parent, and an unheld parent still follows its children.
 */
import { describe, expect, it } from 'vitest';
import { hubPerTest, type TestHub } from './helpers/hub.js';
import { connect2025, textOf } from './mcp-clients.js';

let t: TestHub | undefined;
const closers: Array<() => Promise<void>> = [];
const hubs = hubPerTest(async () => {
  for (const c of closers.splice(0)) await c();
});

type Agent = { id: string; token: string };
const post = (hub: TestHub, who: Agent, path: string, body: unknown = {}) =>
  hub.api('POST', path, { token: who.token, body });
const getTask = async (hub: TestHub, id: string) =>
  (await hub.api('GET', `/api/v1/tasks/${id}`, { token: hub.adminToken })).body.task;
const allTasks = async (hub: TestHub) =>
  (await hub.api('GET', '/api/v1/tasks?limit=1000', { token: hub.adminToken })).body.tasks as Array<{
    task_id: string;
  }>;

/** D, B and the attacker; D's task, assigned to (so held by) B. */
async function scene(hub: TestHub) {
  const d = await hub.register('d');
  const b = await hub.register('b');
  const attacker = await hub.register('attacker');
  const parent = (await post(hub, d, '/api/v1/tasks', { title: 'D’s task for B', assignee: b.id })).body.task;
  expect(parent).toMatchObject({ status: 'claimed', assignee: b.id, created_by: d.id });
  return { d, b, attacker, parent };
}

describe('adding children to someone else’s task', () => {
  it('refuses an attacker’s child (403 naming creator and holder), stores nothing, and B still completes', async () => {
    t = await hubs.start();
    const { d, b, attacker, parent } = await scene(t);
    const before = await allTasks(t);
    for (const body of [
      { title: 'forged', parent_task_id: parent.task_id },
      { title: 'forged', parent_task_id: parent.task_id, assignee: attacker.id },
      { title: 'forged', parent_task_id: parent.task_id, announce: true },
    ]) {
      const res = await post(t, attacker, '/api/v1/tasks', body);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
      expect(res.body.error.message).toContain(
        `parent_task_id: task ${parent.task_id} was created by ${d.id}`,
      );
      expect(res.body.error.message).toContain(`held by ${b.id}`);
    }
    expect(await allTasks(t)).toEqual(before);
    const kids = await t.api('GET', `/api/v1/tasks?parent_task_id=${parent.task_id}`, {
      token: t.adminToken,
    });
    expect(kids.body.total).toBe(0);

    // B's task is untouched and B finishes it with B's own result.
    const done = await post(t, b, `/api/v1/tasks/${parent.task_id}/complete`, { result: 'B did it' });
    expect(done.status).toBe(200);
    expect(done.body.task).toMatchObject({ status: 'completed', result: 'B did it' });
  });

  it('refuses it for an open task created by someone else too; the admin may add one for any agent', async () => {
    t = await hubs.start();
    const d = await t.register('d');
    const attacker = await t.register('attacker');
    const open = (await post(t, d, '/api/v1/tasks', { title: 'open' })).body.task;
    const res = await post(t, attacker, '/api/v1/tasks', { title: 'x', parent_task_id: open.task_id });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain('only its creator or the agent holding it (or the admin)');

    const byAdmin = await t.api('POST', '/api/v1/tasks', {
      token: t.adminToken,
      body: { agent_id: attacker.id, title: 'admin’s child', parent_task_id: open.task_id },
    });
    expect(byAdmin.status).toBe(201);
    expect(byAdmin.body.task).toMatchObject({ parent_task_id: open.task_id, created_by: attacker.id });
  });

  it('refuses it over MCP as well', async () => {
    t = await hubs.start();
    const { d, b, attacker, parent } = await scene(t);
    const mcp = await connect2025(t.url, { token: attacker.token });
    closers.push(() => mcp.close());
    const before = await allTasks(t);
    const res = await mcp.callTool({
      name: 'create_task',
      arguments: { title: 'forged', parent_task_id: parent.task_id, assignee: attacker.id },
    });
    expect(res.isError).toBe(true);
    expect(textOf(res)).toContain(`created by ${d.id} and is held by ${b.id}`);
    expect(await allTasks(t)).toEqual(before);
    expect((await getTask(t, parent.task_id)).status).toBe('claimed');
  });
});

describe('the holder keeps control of its task’s outcome', () => {
  it('children the creator adds while B holds the task never complete or fail it; B does', async () => {
    t = await hubs.start();
    const { d, b, parent } = await scene(t);
    // The creator may add children, but finishing them does not finish B's task for B.
    const child = (
      await post(t, d, '/api/v1/tasks', { title: 'D’s part', parent_task_id: parent.task_id, assignee: d.id })
    ).body.task;
    const finished = await post(t, d, `/api/v1/tasks/${child.task_id}/complete`, { result: 'D’s result' });
    expect(finished.status).toBe(200);
    expect((await getTask(t, parent.task_id)).status).toBe('claimed');

    const other = (await post(t, d, '/api/v1/tasks', { title: 'second', assignee: b.id })).body.task;
    const failing = (
      await post(t, d, '/api/v1/tasks', {
        title: 'D’s doomed part',
        parent_task_id: other.task_id,
        assignee: d.id,
      })
    ).body.task;
    await post(t, d, `/api/v1/tasks/${failing.task_id}/fail`, { reason: 'broken' });
    expect((await getTask(t, other.task_id)).status).toBe('claimed');

    for (const task of [parent, other]) {
      const done = await post(t, b, `/api/v1/tasks/${task.task_id}/complete`, { result: 'B’s own' });
      expect(done.status).toBe(200);
      expect(done.body.task).toMatchObject({ status: 'completed', result: 'B’s own' });
    }
  });

  it('a holder’s own delegation still completes or fails its task', async () => {
    t = await hubs.start();
    const { b, parent } = await scene(t);
    const w = await t.register('w');
    const delegated = (
      await post(t, b, '/api/v1/tasks', { title: 'B’s part', parent_task_id: parent.task_id })
    ).body.task;
    await post(t, w, `/api/v1/tasks/${delegated.task_id}/claim`);
    await post(t, w, `/api/v1/tasks/${delegated.task_id}/complete`, { result: 'w' });
    const done = await getTask(t, parent.task_id);
    expect(done.status).toBe('completed');
    expect(done.result.children).toMatchObject([{ task_id: delegated.task_id, result: 'w' }]);

    // B's delegation failing fails B's task (fail_parent is the default).
    const second = (await post(t, b, '/api/v1/tasks', { title: 'B’s own task' })).body.task;
    await post(t, b, `/api/v1/tasks/${second.task_id}/claim`);
    const doomed = (await post(t, b, '/api/v1/tasks', { title: 'doomed', parent_task_id: second.task_id }))
      .body.task;
    await post(t, w, `/api/v1/tasks/${doomed.task_id}/claim`);
    await post(t, w, `/api/v1/tasks/${doomed.task_id}/fail`, { reason: 'no' });
    expect((await getTask(t, second.task_id)).status).toBe('failed');
  });
});
