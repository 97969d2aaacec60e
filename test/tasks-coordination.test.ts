/**
 * Tasks between agents on a real hub: leases that run out (injected clock + the hub's sweep),
 * waits woken by transitions, questions asked back, direct and automatic assignment, delegation
 * trees, and task_accept messages that claim.
 */
import { describe, expect, it } from 'vitest';
import { ShiftedClock } from './helpers/clock.js';
import { hubPerTest, type TestHub } from './helpers/hub.js';

let t: TestHub | undefined;
const hubs = hubPerTest();

type Agent = { id: string; token: string };
const post = (hub: TestHub, who: Agent, path: string, body: unknown = {}) =>
  hub.api('POST', path, { token: who.token, body });
const getTask = async (hub: TestHub, id: string) =>
  (await hub.api('GET', `/api/v1/tasks/${id}`, { token: hub.adminToken })).body.task;

describe('task leases', () => {
  it('re-opens a silent claimant’s task after its lease, another agent claims it, and attempts run out', async () => {
    const clock = new ShiftedClock();
    t = await hubs.start({}, { clock });
    const boss = await t.register('boss');
    const silent = await t.register('silent');
    const other = await t.register('other');
    const task = (await post(t, boss, '/api/v1/tasks', { title: 'x', lease_seconds: 60, max_attempts: 2 }))
      .body.task;
    await post(t, silent, `/api/v1/tasks/${task.task_id}/claim`);

    clock.advance(30);
    expect((await t.hub.services.tasks.sweep()).reopened).toEqual([]);
    clock.advance(31);
    expect((await t.hub.services.tasks.sweep()).reopened).toEqual([task.task_id]);
    const reopened = await getTask(t, task.task_id);
    expect(reopened).toMatchObject({ status: 'open', assignee: null, attempts: 1 });
    expect(reopened.failure_reason).toContain(silent.id);

    const late = await post(t, silent, `/api/v1/tasks/${task.task_id}/update`, { progress: 10 });
    expect(late.status).toBe(409);

    const taken = await post(t, other, `/api/v1/tasks/${task.task_id}/claim`);
    expect(taken.body.task).toMatchObject({ status: 'claimed', assignee: other.id, attempts: 2 });
    // an update renews the lease: the sweep leaves it alone
    clock.advance(50);
    await post(t, other, `/api/v1/tasks/${task.task_id}/update`, { note: 'alive' });
    clock.advance(50);
    expect((await t.hub.services.tasks.sweep()).reopened).toEqual([]);
    // silent again past the lease, with no attempts left: failed
    clock.advance(61);
    expect((await t.hub.services.tasks.sweep()).failed).toEqual([task.task_id]);
    const failed = await getTask(t, task.task_id);
    expect(failed.status).toBe('failed');
    expect(failed.failure_reason).toMatch(/no attempts left/);

    const stats = (await t.api('GET', '/api/v1/tasks/stats', { token: boss.token })).body.agents;
    const of = (id: string) => stats.find((s: { agent_id: string }) => s.agent_id === id);
    expect(of(silent.id)).toMatchObject({ claimed: 1, reopened: 1, completed: 0 });
    expect(of(other.id)).toMatchObject({ claimed: 1, reopened: 0, failed: 1 });
  });

  it('a retryable failure re-opens the task; a final one fails it', async () => {
    t = await hubs.start();
    const boss = await t.register('boss');
    const w = await t.register('w');
    const task = (await post(t, boss, '/api/v1/tasks', { title: 'x', max_attempts: 2 })).body.task;
    await post(t, w, `/api/v1/tasks/${task.task_id}/claim`);
    const retry = await post(t, w, `/api/v1/tasks/${task.task_id}/fail`, {
      reason: 'flaky net',
      retryable: true,
    });
    expect(retry.body.task).toMatchObject({ status: 'open', failure_reason: 'flaky net' });
    await post(t, w, `/api/v1/tasks/${task.task_id}/claim`);
    const final = await post(t, w, `/api/v1/tasks/${task.task_id}/fail`, {
      reason: 'again',
      retryable: true,
    });
    expect(final.body.task.status).toBe('failed');
  });
  it('a task whose deadline passes fails, held or not, and claim-next skips it', async () => {
    const clock = new ShiftedClock();
    t = await hubs.start({}, { clock });
    const boss = await t.register('boss');
    const w = await t.register('w');
    const deadline = new Date(clock.now() + 60_000).toISOString();
    const held = (await post(t, boss, '/api/v1/tasks', { title: 'held', deadline })).body.task;
    await post(t, w, `/api/v1/tasks/${held.task_id}/claim`);
    const open = (await post(t, boss, '/api/v1/tasks', { title: 'open', deadline })).body.task;
    clock.advance(61);
    const next = await post(t, w, '/api/v1/ops/claim_task', {});
    expect(next.body.task).toBeNull();
    const late = await post(t, w, `/api/v1/tasks/${open.task_id}/claim`);
    expect(late.status).toBe(409);
    expect(late.body.error.message).toMatch(/deadline/);
    expect((await t.hub.services.tasks.sweep()).failed.sort()).toEqual([held.task_id, open.task_id].sort());
    for (const id of [held.task_id, open.task_id]) {
      const task = await getTask(t, id);
      expect(task.status).toBe('failed');
      expect(task.failure_reason).toMatch(/deadline/);
    }
  });
});

describe('waiting and asking back', () => {
  it('wait_for_task wakes on a transition and reports it', async () => {
    t = await hubs.start();
    const boss = await t.register('boss');
    const w = await t.register('w');
    const task = (await post(t, boss, '/api/v1/tasks', { title: 'x' })).body.task;
    const waiting = t.api('GET', `/api/v1/tasks/${task.task_id}/wait?timeout_seconds=60`, {
      token: boss.token,
    });
    const finished = t.api('GET', `/api/v1/tasks/${task.task_id}/wait?timeout_seconds=60&until=finished`, {
      token: boss.token,
    });
    await new Promise((r) => setTimeout(r, 50));
    await post(t, w, `/api/v1/tasks/${task.task_id}/claim`);
    const woke = await waiting;
    expect(woke.body).toMatchObject({ changed: true, timed_out: false, task: { status: 'claimed' } });
    await post(t, w, `/api/v1/tasks/${task.task_id}/complete`, { result: 'ok' });
    expect((await finished).body).toMatchObject({
      timed_out: false,
      task: { status: 'completed', result: 'ok' },
    });

    const quick = await t.api('GET', `/api/v1/tasks/${task.task_id}/wait?after_version=1`, {
      token: boss.token,
    });
    expect(quick.body.changed).toBe(true);
    const idle = (await post(t, boss, '/api/v1/tasks', { title: 'idle' })).body.task;
    const timedOut = await t.api('GET', `/api/v1/tasks/${idle.task_id}/wait?timeout_seconds=0`, {
      token: boss.token,
    });
    expect(timedOut.body).toMatchObject({ timed_out: true, changed: false });
  });

  it('input_required: the worker asks, the creator answers, the task resumes', async () => {
    t = await hubs.start();
    const boss = await t.register('boss');
    const w = await t.register('w');
    const other = await t.register('other');
    const task = (await post(t, boss, '/api/v1/tasks', { title: 'x' })).body.task;
    await post(t, w, `/api/v1/tasks/${task.task_id}/claim`);
    const asked = await post(t, w, `/api/v1/tasks/${task.task_id}/request-input`, {
      question: 'which branch?',
    });
    expect(asked.body.task).toMatchObject({ status: 'input_required', question: 'which branch?' });

    const cantComplete = await post(t, w, `/api/v1/tasks/${task.task_id}/complete`, {});
    expect(cantComplete.status).toBe(409);
    const stranger = await post(t, other, `/api/v1/tasks/${task.task_id}/provide-input`, { answer: 'main' });
    expect(stranger.status).toBe(403);

    const answered = await post(t, boss, `/api/v1/tasks/${task.task_id}/provide-input`, {
      answer: { branch: 'main' },
    });
    expect(answered.body.task).toMatchObject({ status: 'in_progress', answer: { branch: 'main' } });
    const twice = await post(t, boss, `/api/v1/tasks/${task.task_id}/provide-input`, { answer: 'x' });
    expect(twice.status).toBe(409);
    const done = await post(t, w, `/api/v1/tasks/${task.task_id}/complete`, { result: 'merged' });
    expect(done.body.task.status).toBe('completed');
  });
});

describe('assignment', () => {
  it('direct assignment claims for the named agent, and refuses one without the capabilities', async () => {
    t = await hubs.start();
    const boss = await t.register('boss');
    const py = await t.register('py', { capabilities: ['python'] });
    const js = await t.register('js', { capabilities: ['js'] });
    const direct = await post(t, boss, '/api/v1/tasks', {
      title: 'x',
      required_capabilities: ['python'],
      assignee: py.id,
    });
    expect(direct.body.task).toMatchObject({ status: 'claimed', assignee: py.id, attempts: 1 });
    const wrong = await post(t, boss, '/api/v1/tasks', {
      title: 'y',
      required_capabilities: ['python'],
      assignee: js.id,
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toMatch(/assignee.*python/);
  });

  it('auto routing picks a capable agent with the least load', async () => {
    t = await hubs.start();
    const boss = await t.register('boss', { capabilities: ['review'] });
    const busy = await t.register('busy', { capabilities: ['review'] });
    const free = await t.register('free', { capabilities: ['review'] });
    await t.register('unfit', { capabilities: ['cooking'] });
    await post(t, boss, '/api/v1/tasks', { title: 'a', assignee: busy.id });
    await post(t, boss, '/api/v1/tasks', { title: 'b', assignee: busy.id });
    const routed = await post(t, boss, '/api/v1/tasks', {
      title: 'c',
      required_capabilities: ['review'],
      route: 'auto',
    });
    expect(routed.body.task).toMatchObject({ status: 'claimed', assignee: free.id });
    const next = await post(t, boss, '/api/v1/tasks', {
      title: 'd',
      required_capabilities: ['review'],
      route: 'auto',
    });
    expect(next.body.task.assignee).toBe(free.id); // 1 task vs 2
    const nobody = await post(t, boss, '/api/v1/tasks', {
      title: 'e',
      required_capabilities: ['rust'],
      route: 'auto',
    });
    // Nobody capable: the task waits open (routed: false) instead of being refused.
    expect(nobody.status).toBe(201);
    expect(nobody.body).toMatchObject({ routed: false, task: { status: 'open', assignee: null } });
    expect(nobody.body.route_reason).toContain('rust');
  });

  it('a task_accept message naming an open task claims it for the sender', async () => {
    t = await hubs.start();
    const boss = await t.register('boss');
    const w = await t.register('w');
    const task = (await post(t, boss, '/api/v1/tasks', { title: 'x' })).body.task;
    const claimed = t.api('GET', `/api/v1/tasks/${task.task_id}/wait?timeout_seconds=60`, {
      token: boss.token,
    });
    await new Promise((r) => setTimeout(r, 50));
    const sent = await post(t, w, '/api/v1/messages', {
      to: boss.id,
      type: 'task_accept',
      correlation_id: task.task_id,
      body: 'I take it',
    });
    expect(sent.status).toBe(200);
    expect((await claimed).body.task).toMatchObject({ status: 'claimed', assignee: w.id });

    const second = (await post(t, boss, '/api/v1/tasks', { title: 'y' })).body.task;
    const viaBody = t.api('GET', `/api/v1/tasks/${second.task_id}/wait?timeout_seconds=60`, {
      token: boss.token,
    });
    await new Promise((r) => setTimeout(r, 50));
    await post(t, w, '/api/v1/messages', {
      to: boss.id,
      type: 'task_accept',
      body: { task_id: second.task_id },
    });
    expect((await viaBody).body.task.assignee).toBe(w.id);
  });
  it('announce sends task_proposal messages to capable agents; a task_accept reply claims', async () => {
    t = await hubs.start();
    const boss = await t.register('boss');
    const fit = await t.register('fit', { capabilities: ['sql'] });
    await t.register('unfit', { capabilities: ['css'] });
    const created = await post(t, boss, '/api/v1/tasks', {
      title: 'tune the query',
      required_capabilities: ['sql'],
      announce: true,
    });
    expect(created.body.announced_to).toEqual([fit.id]);
    const inbox = await t.api('GET', '/api/v1/messages', { token: fit.token });
    const proposal = inbox.body.messages.find((m: { type: string }) => m.type === 'task_proposal');
    expect(proposal).toMatchObject({ correlation_id: created.body.task.task_id, subject: 'tune the query' });

    const claimed = t.api('GET', `/api/v1/tasks/${created.body.task.task_id}/wait?timeout_seconds=60`, {
      token: boss.token,
    });
    await new Promise((r) => setTimeout(r, 50));
    await post(t, fit, '/api/v1/messages', {
      to: boss.id,
      type: 'task_accept',
      reply_to: proposal.message_id,
      correlation_id: proposal.correlation_id,
    });
    expect((await claimed).body.task).toMatchObject({ status: 'claimed', assignee: fit.id });

    const both = await post(t, boss, '/api/v1/tasks', { title: 'x', assignee: fit.id, announce: true });
    expect(both.status).toBe(400);
    expect(both.body.error.message).toContain('announce');
  });
});

describe('delegation trees', () => {
  it('a parent completes when all its children complete, with their results', async () => {
    t = await hubs.start();
    const boss = await t.register('boss');
    const w = await t.register('w');
    const parent = (await post(t, boss, '/api/v1/tasks', { title: 'parent' })).body.task;
    const kids = [];
    for (const title of ['a', 'b']) {
      kids.push((await post(t, boss, '/api/v1/tasks', { title, parent_task_id: parent.task_id })).body.task);
    }
    const listed = await t.api('GET', `/api/v1/tasks?parent_task_id=${parent.task_id}`, {
      token: boss.token,
    });
    expect(listed.body.total).toBe(2);
    for (const k of kids) {
      await post(t, w, `/api/v1/tasks/${k.task_id}/claim`);
      await post(t, w, `/api/v1/tasks/${k.task_id}/complete`, { result: k.title });
      if (k === kids[0]) expect((await getTask(t, parent.task_id)).status).toBe('open');
    }
    const done = await getTask(t, parent.task_id);
    expect(done.status).toBe('completed');
    expect(done.result.children.map((c: { result: string }) => c.result).sort()).toEqual(['a', 'b']);
  });

  it('fail_parent: a failed child fails the parent and cancels its siblings; ignore: the parent still completes', async () => {
    t = await hubs.start();
    const boss = await t.register('boss');
    const w = await t.register('w');
    const strict = (await post(t, boss, '/api/v1/tasks', { title: 'strict' })).body.task;
    const bad = (await post(t, boss, '/api/v1/tasks', { title: 'bad', parent_task_id: strict.task_id })).body
      .task;
    const sibling = (await post(t, boss, '/api/v1/tasks', { title: 'sib', parent_task_id: strict.task_id }))
      .body.task;
    await post(t, w, `/api/v1/tasks/${bad.task_id}/claim`);
    await post(t, w, `/api/v1/tasks/${bad.task_id}/fail`, { reason: 'broken' });
    const failed = await getTask(t, strict.task_id);
    expect(failed.status).toBe('failed');
    expect(failed.failure_reason).toContain(bad.task_id);
    expect((await getTask(t, sibling.task_id)).status).toBe('cancelled');

    const lenient = (
      await post(t, boss, '/api/v1/tasks', { title: 'lenient', child_failure_policy: 'ignore' })
    ).body.task;
    const k1 = (await post(t, boss, '/api/v1/tasks', { title: 'k1', parent_task_id: lenient.task_id })).body
      .task;
    const k2 = (await post(t, boss, '/api/v1/tasks', { title: 'k2', parent_task_id: lenient.task_id })).body
      .task;
    await post(t, w, `/api/v1/tasks/${k1.task_id}/claim`);
    await post(t, w, `/api/v1/tasks/${k1.task_id}/fail`, { reason: 'meh' });
    expect((await getTask(t, lenient.task_id)).status).toBe('open');
    await post(t, w, `/api/v1/tasks/${k2.task_id}/claim`);
    await post(t, w, `/api/v1/tasks/${k2.task_id}/complete`, { result: 1 });
    expect((await getTask(t, lenient.task_id)).status).toBe('completed');
  });

  it('cancelling a parent cascades to its unfinished children', async () => {
    t = await hubs.start();
    const boss = await t.register('boss');
    const w = await t.register('w');
    const parent = (await post(t, boss, '/api/v1/tasks', { title: 'p' })).body.task;
    const open = (await post(t, boss, '/api/v1/tasks', { title: 'o', parent_task_id: parent.task_id })).body
      .task;
    const held = (await post(t, boss, '/api/v1/tasks', { title: 'h', parent_task_id: parent.task_id })).body
      .task;
    const grandchild = (await post(t, boss, '/api/v1/tasks', { title: 'g', parent_task_id: open.task_id }))
      .body.task;
    await post(t, w, `/api/v1/tasks/${held.task_id}/claim`);
    const cancelled = await post(t, boss, `/api/v1/tasks/${parent.task_id}/cancel`, {
      reason: 'plan changed',
    });
    expect(cancelled.body.task.status).toBe('cancelled');
    for (const k of [open, held, grandchild]) expect((await getTask(t, k.task_id)).status).toBe('cancelled');
    const late = await post(t, w, `/api/v1/tasks/${held.task_id}/complete`, {});
    expect(late.status).toBe(409);
    const child = await post(t, boss, '/api/v1/tasks', { title: 'late', parent_task_id: parent.task_id });
    expect(child.status).toBe(409);
  });
});
