/**
 * summarize_thread over a real hub: the digest of a thread of three agents (a request answered, one
 * not, a vote and a task that came out of it) with exact figures, on a clock the test moves; the
 * thread closed to an agent outside it; and prose summaries written by a scripted agent instance
 * (`switchboard agent --script`, from dist/: run `npm run build` first), stored per view, with the
 * errors for an instance that is not yours, not running, or too slow.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClock } from './helpers/clock.js';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { killGroupQuietly, spawnScripted } from './helpers/instances.js';
import { countRows, selectRows } from './helpers/store-rows.js';

type Agent = { id: string; token: string };

const T0 = Date.parse('2026-12-06T10:00:00.000Z');

describe('the digest of a thread', () => {
  let t: TestHub;
  const clock = new TestClock(T0);
  let alice: Agent, bob: Agent, carol: Agent, mallory: Agent;
  let thread: string;
  const sent: Record<string, { message_id: string; created_at: string }> = {};

  const send = async (name: string, who: Agent, body: Record<string, unknown>, afterSeconds: number) => {
    clock.advance(afterSeconds);
    const res = await t.api('POST', '/api/v1/messages', { token: who.token, body });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    sent[name] = res.body;
    return res.body;
  };
  const summarize = (who: Agent | 'admin', body: Record<string, unknown> = {}, id = thread) =>
    t.api('POST', `/api/v1/threads/${id}/summary`, {
      token: who === 'admin' ? t.adminToken : who.token,
      body,
    });

  beforeAll(async () => {
    t = await startTestHub({ rateLimit: { enabled: false } }, { clock });
    alice = await t.register('Alice');
    bob = await t.register('Bob');
    carol = await t.register('Carol');
    mallory = await t.register('Mallory');

    thread = (await send('kickoff', alice, { to: [bob.id, carol.id], body: 'Plan the release' }, 0))
      .thread_id;
    await send('ask_bob', alice, { to: bob.id, type: 'request', thread_id: thread, body: 'estimate?' }, 60);
    await send(
      'bob_answers',
      bob,
      { to: alice.id, type: 'response', reply_to: sent.ask_bob!.message_id, body: '3 days' },
      120,
    );
    await send(
      'ask_carol',
      alice,
      { to: carol.id, type: 'request', thread_id: thread, subject: 'numbers?', body: 'send numbers' },
      60,
    );
    // A plain message replying to the kickoff: it answers no request.
    await send('carol_notes', carol, { to: alice.id, reply_to: sent.kickoff!.message_id, body: 'on it' }, 60);

    // A vote out of the thread: its vote_request to bob and carol goes into it.
    clock.advance(60);
    const vote = await t.api('POST', '/api/v1/votes', {
      token: alice.token,
      body: {
        proposal: 'ship friday?',
        options: ['yes', 'no'],
        participants: [alice.id, bob.id, carol.id],
        rule: 'majority',
        thread_id: thread,
      },
    });
    expect(vote.status, JSON.stringify(vote.body)).toBe(200);
    expect(vote.body.thread_id).toBe(thread);
    sent.vote = { message_id: vote.body.vote_id, created_at: vote.body.created_at };
    // A task out of the thread, posted by bob (who takes part in it).
    clock.advance(30);
    const task = await t.api('POST', '/api/v1/tasks', {
      token: bob.token,
      body: { title: 'Write release notes', thread_id: thread },
    });
    expect(task.status, JSON.stringify(task.body)).toBe(201);
    expect(task.body.task.thread_id).toBe(thread);
    sent.task = { message_id: task.body.task.task_id, created_at: task.body.task.created_at };
    clock.advance(90);
  });
  afterAll(() => t.close());

  it('counts participants, turns, types, the span, the unanswered request, the vote and the task', async () => {
    const res = await summarize(alice);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const d = res.body;
    expect(d.thread_id).toBe(thread);
    expect(d.truncated).toBe(false);
    // alice sent kickoff, both requests and the vote_request; bob and carol one message each.
    expect(d.participants).toEqual([
      { agent_id: alice.id, sent: 4, received: 2 },
      { agent_id: bob.id, sent: 1, received: 3 },
      { agent_id: carol.id, sent: 1, received: 3 },
    ]);
    // alice, alice | bob | alice | carol | alice (vote_request).
    expect(d.turns).toBe(5);
    expect(d.speaker_changes).toBe(4);
    expect(d.messages).toEqual({
      total: 6,
      in_thread: 6,
      by_type: { message: 2, request: 2, response: 1, vote_request: 1 },
    });
    expect(d.first_activity).toBe('2026-12-06T10:00:00.000Z');
    expect(d.last_activity).toBe('2026-12-06T10:06:00.000Z');
    expect(d.duration_seconds).toBe(360);
    expect(d.unanswered_requests).toEqual([
      {
        message_id: sent.ask_carol!.message_id,
        from: alice.id,
        to: [carol.id],
        subject: 'numbers?',
        asked_at: '2026-12-06T10:04:00.000Z',
        // Asked at 10:04, digested at 10:08.
        waiting_seconds: 240,
      },
    ]);
    expect(d.votes).toEqual([
      {
        vote_id: sent.vote!.message_id,
        proposal: 'ship friday?',
        status: 'open',
        result: null,
        created_by: alice.id,
        created_at: '2026-12-06T10:06:00.000Z',
      },
    ]);
    expect(d.tasks).toEqual([
      {
        task_id: sent.task!.message_id,
        title: 'Write release notes',
        status: 'open',
        assignee: null,
        created_by: bob.id,
        created_at: '2026-12-06T10:06:30.000Z',
      },
    ]);
    expect(d.summary).toBeNull();
  });

  it('digests what each viewer can read: bob sees his part, the admin the whole thread', async () => {
    const asBob = (await summarize(bob)).body;
    // kickoff, ask_bob, bob_answers, vote_request: not alice's request to carol nor carol's note.
    expect(asBob.messages).toEqual({
      total: 4,
      in_thread: 4,
      by_type: { message: 1, request: 1, response: 1, vote_request: 1 },
    });
    expect(asBob.unanswered_requests).toEqual([]);
    const asAdmin = (await summarize('admin')).body;
    expect(asAdmin.messages.total).toBe(6);
    expect(asAdmin.unanswered_requests.map((r: { message_id: string }) => r.message_id)).toEqual([
      sent.ask_carol!.message_id,
    ]);
  });

  it('digests the newest max_messages of a longer thread and says it is truncated', async () => {
    const d = (await summarize(alice, { max_messages: 2 })).body;
    expect(d.truncated).toBe(true);
    expect(d.messages).toEqual({ total: 2, in_thread: 6, by_type: { message: 1, vote_request: 1 } });
    expect(d.first_activity).toBe('2026-12-06T10:05:00.000Z');
    expect(d.participants).toEqual([
      { agent_id: carol.id, sent: 1, received: 1 },
      { agent_id: alice.id, sent: 1, received: 1 },
      { agent_id: bob.id, sent: 0, received: 1 },
    ]);
    const tooMany = await summarize(alice, { max_messages: 1001 });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.message).toMatch(/max_messages/);
  });

  it('refuses an agent outside the thread as if it did not exist, and stores nothing', async () => {
    const before = await countRows(t, 'thread_summaries');
    const res = await summarize(mallory);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    const unknown = await summarize(mallory, {}, 'msg_00000000000000000000000000');
    expect(unknown.body.error.message.replace('msg_00000000000000000000000000', '<id>')).toBe(
      res.body.error.message.replace(thread, '<id>'),
    );
    // Naming an instance changes nothing: the thread is checked before any instance is asked.
    const withInstance = await summarize(mallory, { by_instance: 'inst_nothing' });
    expect(withInstance.status).toBe(404);
    expect(withInstance.body.error.message).toMatch(/^Thread /);
    expect(await countRows(t, 'thread_summaries')).toBe(before);
    // Nor can it tie a vote or a task to the thread.
    const vote = await t.api('POST', '/api/v1/votes', {
      token: mallory.token,
      body: {
        proposal: 'x',
        options: ['a', 'b'],
        participants: [mallory.id],
        rule: 'majority',
        thread_id: thread,
      },
    });
    expect(vote.status).toBe(404);
    expect(vote.body.error.message).toMatch(/^thread_id: /);
    const task = await t.api('POST', '/api/v1/tasks', {
      token: mallory.token,
      body: { title: 'x', thread_id: thread },
    });
    expect(task.status).toBe(404);
    expect((await summarize(alice)).body.votes).toHaveLength(1);
    expect((await summarize(alice)).body.tasks).toHaveLength(1);
  });
});

describe('a prose summary written by an agent instance', () => {
  let t: TestHub;
  let alice: Agent, bob: Agent;
  let thread: string;
  const pids: number[] = [];

  const summarize = (who: Agent | 'admin', body: Record<string, unknown> = {}) =>
    t.api('POST', `/api/v1/threads/${thread}/summary`, {
      token: who === 'admin' ? t.adminToken : who.token,
      body,
    });
  const spawn = async (owner: Agent, script: Record<string, unknown>) => {
    const view = await spawnScripted(t, owner.token, script);
    if (view.pid) pids.push(view.pid);
    return view.instance_id as string;
  };
  const turnsOf = async (id: string) => {
    const out = await t.api('GET', `/api/v1/instances/${id}/output`, { token: t.adminToken });
    return out.body.events.filter((e: { kind: string }) => e.kind === 'user').length;
  };

  beforeAll(async () => {
    t = await startTestHub({ rateLimit: { enabled: false }, instances: { stopGraceSeconds: 0.5 } });
    alice = await t.register('Alice');
    bob = await t.register('Bob');
    const first = await t.api('POST', '/api/v1/messages', {
      token: alice.token,
      body: { to: bob.id, type: 'request', body: 'can you review the parser?' },
    });
    thread = first.body.thread_id;
  });
  afterAll(async () => {
    await t.close();
    for (const pid of pids) killGroupQuietly(pid);
  });

  it('stores the summary the instance writes and returns it on every later call', async () => {
    const writer = await spawn(alice, {
      default: {
        reply: {
          template:
            'Thread {{input_field.thread_id}}: {{input_field.participants}} agents, {{input_field.messages}} ' +
            'messages, {{input_field.unanswered_requests}} request still unanswered.',
        },
      },
    });
    const res = await summarize(alice, { by_instance: writer, timeout_seconds: 30 });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const text = `Thread ${thread}: 2 agents, 1 messages, 1 request still unanswered.`;
    expect(res.body.summary).toMatchObject({
      text,
      instance_id: writer,
      requested_by: alice.id,
      messages_covered: 1,
      up_to_date: true,
    });
    expect(res.body.summary.written_by).toMatch(/\S/);
    expect(res.body.summary.written_by).not.toBe(alice.id);

    // Later calls, without by_instance, return it; the instance gets no new turn.
    const again = await summarize(alice);
    expect(again.body.summary).toMatchObject({ text, instance_id: writer, up_to_date: true });
    expect(await turnsOf(writer)).toBe(1);

    // A new message in the thread: the summary is still there, no longer up to date.
    await t.api('POST', '/api/v1/messages', {
      token: bob.token,
      body: { to: alice.id, type: 'response', reply_to: thread, body: 'done, two nits' },
    });
    const later = await summarize(alice);
    expect(later.body.summary).toMatchObject({ text, up_to_date: false });
    expect(later.body.unanswered_requests).toEqual([]);

    // It summarizes alice's view: bob and the admin, who read other parts, do not get it.
    expect((await summarize(bob)).body.summary).toBeNull();
    expect((await summarize('admin')).body.summary).toBeNull();
  });

  it('keeps at most 8000 characters of an answer', async () => {
    const long = await spawn(alice, { default: { reply: 'x'.repeat(9000) } });
    const res = await summarize(alice, { by_instance: long, timeout_seconds: 30 });
    expect(res.status).toBe(200);
    expect(res.body.summary.text).toBe('x'.repeat(8000));
  });

  it('refuses an instance the caller may not drive, one not running, one failing its turn, one too slow', async () => {
    const before = async () =>
      (await selectRows(t, 'thread_summaries')).sort((a, b) =>
        String(a.scope).localeCompare(String(b.scope)),
      );
    const stored = await before();

    // bob takes part in the thread but did not spawn alice's instance: it is not found for him.
    const alices = await spawn(alice, { default: { reply: 'not for bob' } });
    const foreign = await summarize(bob, { by_instance: alices, timeout_seconds: 30 });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.message).toBe(`Instance ${alices} was not found`);
    expect(await turnsOf(alices)).toBe(0);

    const stopped = await spawn(alice, { default: { reply: 'too late' } });
    const term = await t.api('DELETE', `/api/v1/instances/${stopped}`, { token: alice.token });
    expect(term.status).toBe(200);
    const notRunning = await summarize(alice, { by_instance: stopped, timeout_seconds: 30 });
    expect(notRunning.status).toBe(409);
    expect(notRunning.body.error.message).toBe(
      `Instance ${stopped} is stopped (terminated by ${alice.id}); it takes no turns any more`,
    );

    const failing = await spawn(alice, { default: { subtype: 'error_during_execution' } });
    const failed = await summarize(alice, { by_instance: failing, timeout_seconds: 30 });
    expect(failed.status).toBe(503);
    expect(failed.body.error.message).toMatch(
      new RegExp(`^by_instance: instance ${failing} failed the summary turn \\(.+\\); nothing was stored$`),
    );

    const slow = await spawn(alice, { default: { hang: true } });
    const timedOut = await summarize(alice, { by_instance: slow, timeout_seconds: 1 });
    expect(timedOut.status).toBe(504);
    expect(timedOut.body.error.code).toBe('timeout');
    expect(timedOut.body.error.message).toBe(
      `by_instance: instance ${slow} wrote no summary within 1 s (timeout_seconds, at most 600); ` +
        'nothing was stored, its turn may still be running (get_instance_output)',
    );
    expect(await before()).toEqual(stored);
  });
});
