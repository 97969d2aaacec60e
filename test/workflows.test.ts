/**
 * Workflows on a real hub: steps calling the fixture server behind the gateway (stdio) and hub
 * operations, acting as the agent that started them. Templating, parallel branches, conditions,
 * retries, cancel, definition errors, identity.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { connect2025, textOf } from './mcp-clients.js';
import { eventually, FIXTURE } from './gateway-support.js';

let t: TestHub;
let starter: { id: string; token: string };
let recorder: { id: string; token: string };

async function run(body: Record<string, unknown>, token = starter.token) {
  return t.api('POST', '/api/v1/workflows', { token, body });
}

async function inboxOf(who: { token: string }) {
  const res = await t.api('GET', '/api/v1/messages?limit=500', { token: who.token });
  return res.body.messages as Array<{ subject: string | null; body: unknown }>;
}

const stepOf = (runBody: { steps: Array<{ id: string }> }, id: string) =>
  runBody.steps.find((s) => s.id === id) as {
    id: string;
    status: string;
    attempts: number;
    output: any;
    error: string | null;
  };

beforeAll(async () => {
  t = await startTestHub({
    gateway: {
      servers: [
        {
          name: 'fixture',
          command: process.execPath,
          args: [FIXTURE, `wf-fixture-${randomUUID()}`],
          breaker: { failureThreshold: 100, resetSeconds: 1 },
        },
      ],
    },
  });
  await eventually(async () => {
    const res = await t.api('GET', '/api/v1/gateway/health?name=fixture', { token: t.adminToken });
    return res.body.servers[0].state === 'ready';
  });
  starter = await t.register('wf-starter');
  recorder = await t.register('wf-recorder');
});

afterAll(async () => {
  await t?.close();
});

describe('workflows', () => {
  it('passes inputs and earlier outputs between steps, with one correlation id on every call', async () => {
    const res = await run({
      definition: {
        name: 'greet',
        inputs: { punctuation: '!' },
        steps: [
          {
            id: 'echo',
            call: 'fixture__fixture_echo',
            input: { text: 'hello {{inputs.who}}{{inputs.punctuation}}' },
          },
          {
            id: 'note',
            call: 'send_message',
            input: {
              to: recorder.id,
              subject: 'greeting',
              body: { said: '{{steps.echo.output.text}}', run: '{{run.id}}' },
            },
          },
          {
            id: 'save',
            call: 'set_context',
            input: { scope: 'agent', key: 'last-greeting', value: '{{steps.echo.output}}' },
          },
        ],
        output: { text: '{{steps.echo.output.text}}', message: '{{steps.note.output.message_id}}' },
      },
      inputs: { who: 'world' },
      wait: true,
    });
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('completed');
    expect(res.body.output.text).toBe('hello world!');
    expect(res.body.started_by).toBe(`agent:${starter.id}`);
    const echo = stepOf(res.body, 'echo');
    expect(echo.status).toBe('completed');
    expect(echo.attempts).toBe(1);
    // The downstream call carried the run's correlation id in _meta.
    expect(echo.output.meta['io.switchboard/correlation-id']).toBe(res.body.correlation_id);

    const inbox = await inboxOf(recorder);
    const msg = inbox.find((m) => m.subject === 'greeting');
    expect(msg?.body).toEqual({ said: 'hello world!', run: res.body.run_id });
    expect(res.body.output.message).toBeTruthy();

    const got = await t.api('GET', `/api/v1/workflows/${res.body.run_id}`, { token: starter.token });
    expect(got.status).toBe(200);
    expect(got.body.steps.map((s: { status: string }) => s.status)).toEqual([
      'completed',
      'completed',
      'completed',
    ]);
    expect(stepOf(got.body, 'save').output).toBeTruthy();
  });

  it('runs parallel branches and gives the group their outputs', async () => {
    const res = await run({
      definition: {
        steps: [
          {
            id: 'both',
            parallel: [
              { id: 'left', call: 'fixture__fixture_echo', input: { text: 'L' } },
              { id: 'right', call: 'fixture__fixture_echo', input: { text: 'R' } },
            ],
          },
          {
            id: 'join',
            call: 'fixture__fixture_echo',
            input: { text: '{{steps.left.output.text}}+{{steps.both.output.right.text}}' },
          },
        ],
        output: '{{steps.join.output.text}}',
      },
      wait: true,
    });
    expect(res.body.status).toBe('completed');
    expect(res.body.output).toBe('L+R');
    for (const id of ['both', 'left', 'right', 'join']) expect(stepOf(res.body, id).status).toBe('completed');
    expect(res.body.steps.find((s: { id: string }) => s.id === 'left').parent).toBe('both');
  });

  it('skips a step whose condition is false and runs one whose condition holds', async () => {
    const res = await run({
      definition: {
        steps: [
          { id: 'mode', call: 'fixture__fixture_echo', input: { text: '{{inputs.mode}}' } },
          {
            id: 'fast',
            call: 'send_message',
            when: '{{steps.mode.output.text}} == fast',
            input: { to: recorder.id, subject: 'fast path', body: 'x' },
          },
          {
            id: 'slow',
            call: 'send_message',
            when: '{{steps.mode.output.text}} != fast',
            input: { to: recorder.id, subject: 'slow path', body: 'x' },
          },
          {
            id: 'flag',
            call: 'send_message',
            when: '{{inputs.enabled}}',
            input: { to: recorder.id, subject: 'flag path', body: 'x' },
          },
          {
            id: 'after',
            call: 'fixture__fixture_echo',
            input: { text: 'fast={{steps.fast.status}} slow={{steps.slow.status}}' },
          },
        ],
      },
      inputs: { mode: 'slow', enabled: false },
      wait: true,
    });
    expect(res.body.status).toBe('completed');
    expect(stepOf(res.body, 'fast').status).toBe('skipped');
    expect(stepOf(res.body, 'slow').status).toBe('completed');
    expect(stepOf(res.body, 'flag').status).toBe('skipped');
    expect(stepOf(res.body, 'after').output.text).toBe('fast=skipped slow=completed');
    const subjects = (await inboxOf(recorder)).map((m) => m.subject);
    expect(subjects).toContain('slow path');
    expect(subjects).not.toContain('fast path');
    expect(subjects).not.toContain('flag path');
  });

  it('retries a failing step as often as told, then fails the run and runs nothing after it', async () => {
    const res = await run({
      definition: {
        steps: [
          {
            id: 'flaky',
            call: 'fixture__fixture_fail',
            input: { message: 'boom on purpose' },
            retry: { attempts: 3, backoff_ms: 10 },
          },
          {
            id: 'never',
            call: 'send_message',
            input: { to: recorder.id, subject: 'must not happen', body: 'x' },
          },
        ],
      },
      wait: true,
    });
    expect(res.body.status).toBe('failed');
    const flaky = stepOf(res.body, 'flaky');
    expect(flaky.status).toBe('failed');
    expect(flaky.attempts).toBe(3);
    expect(flaky.error).toContain('boom on purpose');
    expect(res.body.error).toContain('flaky');
    expect(stepOf(res.body, 'never').status).toBe('pending');
    expect((await inboxOf(recorder)).map((m) => m.subject)).not.toContain('must not happen');
  });

  it('a retried step that succeeds on a later attempt completes the run', async () => {
    // The reader fails (not found) until its sibling branch has written the key.
    const key = `gate-${randomUUID()}`;
    const res = await run({
      definition: {
        steps: [
          {
            id: 'both',
            parallel: [
              {
                id: 'reader',
                call: 'get_context',
                input: { scope: 'agent', key },
                retry: { attempts: 20, backoff_ms: 20 },
              },
              { id: 'writer', call: 'set_context', input: { scope: 'agent', key, value: 'ready' } },
            ],
          },
        ],
      },
      wait: true,
    });
    expect(res.body.status).toBe('completed');
    expect(stepOf(res.body, 'reader').output.value).toBe('ready');
  });

  it('cancel aborts the running step and starts nothing more', async () => {
    const started = await run({
      definition: {
        steps: [
          { id: 'hang', call: 'fixture__fixture_hang' },
          {
            id: 'never',
            call: 'send_message',
            input: { to: recorder.id, subject: 'after cancel', body: 'x' },
          },
        ],
      },
    });
    expect(started.status).toBe(201);
    const id = started.body.run_id;
    await eventually(async () => {
      const r = await t.api('GET', `/api/v1/workflows/${id}`, { token: starter.token });
      return stepOf(r.body, 'hang').status === 'running';
    });
    const cancelled = await t.api('POST', `/api/v1/workflows/${id}/cancel`, {
      token: starter.token,
      body: { reason: 'changed my mind' },
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(cancelled.body.error).toContain('changed my mind');
    expect(stepOf(cancelled.body, 'hang').status).toBe('cancelled');
    expect(stepOf(cancelled.body, 'never').status).toBe('cancelled');
    const again = await t.api('POST', `/api/v1/workflows/${id}/cancel`, { token: starter.token, body: {} });
    expect(again.status).toBe(409);
    expect((await inboxOf(recorder)).map((m) => m.subject)).not.toContain('after cancel');
  });

  it('refuses bad definitions with errors naming the step and field, and stores nothing', async () => {
    const before = (await t.api('GET', '/api/v1/workflows', { token: t.adminToken })).body.runs.length;
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{ steps: [{ id: 'a', call: 'no_such_op' }] }, ['steps[0] ("a").call', 'no_such_op']],
      [{ steps: [{ id: 'a', call: 'nosuch__tool' }] }, ['steps[0] ("a").call', 'nosuch']],
      [
        {
          steps: [
            { id: 'a', call: 'whoami' },
            { id: 'b', call: 'whoami', input: { x: '{{steps.c.output}}' } },
          ],
        },
        ['steps[1] ("b").input', 'step "c"'],
      ],
      [{ steps: [{ id: 'a', call: 'whoami', retry: { attempts: 0 } }] }, ['steps[0] ("a").retry.attempts']],
      [
        { steps: [{ id: 'a', call: 'whoami', retry_on_resume: 'yes' }] },
        ['steps[0] ("a").retry_on_resume', 'boolean'],
      ],
      [
        { steps: [{ id: 'a', parallel: [{ id: 'b', call: 'whoami', retry_on_resume: 1 }] }] },
        ['steps[0].parallel[0] ("b").retry_on_resume', 'boolean'],
      ],
      [
        { steps: [{ id: 'a', parallel: [{ id: 'b', call: 'whoami' }], retry_on_resume: true }] },
        ['steps[0] ("a")', 'unknown field "retry_on_resume"'],
      ],
      [
        {
          steps: [
            { id: 'a', call: 'whoami' },
            { id: 'a', call: 'whoami' },
          ],
        },
        ['steps[1] ("a").id', 'unique'],
      ],
      [{ steps: [{ id: 'a', call: 'whoami', depends_on: ['z'] }] }, ['steps[0] ("a").depends_on', '"z"']],
      [
        { steps: [{ id: 'a', call: 'whoami', input: { x: '{{secrets.k}}' } }] },
        ['steps[0] ("a").input', 'not a reference'],
      ],
      [
        { steps: [{ id: 'a', parallel: [{ id: 'b', call: 'whoami', extra: 1 }] }] },
        ['steps[0].parallel[0] ("b")', '"extra"'],
      ],
      [{ steps: [] }, ['steps']],
    ];
    for (const [definition, needles] of cases) {
      const res = await run({ definition });
      expect(res.status, JSON.stringify(definition)).toBe(400);
      expect(res.body.error.code).toBe('invalid_input');
      for (const n of needles) expect(res.body.error.message).toContain(n);
    }
    const both = await run({ definition: { steps: [] }, file: 'x.yaml' });
    expect(both.status).toBe(400);
    const after = (await t.api('GET', '/api/v1/workflows', { token: t.adminToken })).body.runs.length;
    expect(after).toBe(before);
  });

  it('reads YAML files; agents only from the workflows directory', async () => {
    const dir = join(t.home, 'workflows');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'hello.yaml'),
      [
        'name: from-yaml',
        'steps:',
        '  - id: echo',
        '    call: fixture__fixture_echo',
        '    input: { text: "yaml {{inputs.n}}" }',
        'output: "{{steps.echo.output.text}}"',
      ].join('\n'),
    );
    const res = await run({ file: 'hello.yaml', inputs: { n: 7 }, wait: true });
    expect(res.body.status).toBe('completed');
    expect(res.body.output).toBe('yaml 7');
    const outside = await run({ file: '/etc/passwd' });
    expect(outside.status).toBe(403);
    const escape = await run({ file: '../admin-token' });
    expect(escape.status).toBe(403);
    const missing = await run({ file: 'missing.yaml' });
    expect(missing.status).toBe(404);
  });

  it('steps act as the starter: admin-only operations fail for an agent, work for the admin', async () => {
    const asAgent = await run({
      definition: { steps: [{ id: 'servers', call: 'list_servers' }] },
      wait: true,
    });
    expect(asAgent.body.status).toBe('failed');
    expect(stepOf(asAgent.body, 'servers').error).toContain('admin');
    const asAdmin = await run(
      { definition: { steps: [{ id: 'servers', call: 'list_servers' }] }, wait: true },
      t.adminToken,
    );
    expect(asAdmin.body.status).toBe('completed');
    expect(asAdmin.body.started_by).toBe('admin');
    expect(stepOf(asAdmin.body, 'servers').output.servers[0].name).toBe('fixture');

    // Another agent neither sees nor cancels the starter's runs.
    const other = await t.register('wf-other');
    const hidden = await t.api('GET', `/api/v1/workflows/${asAgent.body.run_id}`, { token: other.token });
    expect(hidden.status).toBe(404);
    const list = await t.api('GET', '/api/v1/workflows', { token: other.token });
    expect(list.body.runs).toEqual([]);
    const mine = await t.api('GET', '/api/v1/workflows?status=failed', { token: starter.token });
    expect(mine.body.runs.map((r: { run_id: string }) => r.run_id)).toContain(asAgent.body.run_id);
  });

  it('depends_on lets independent steps start at once and a later step wait for both', async () => {
    const res = await run({
      definition: {
        steps: [
          { id: 'a', call: 'fixture__fixture_echo', input: { text: 'A' } },
          { id: 'b', call: 'fixture__fixture_echo', input: { text: 'B' }, depends_on: [] },
          {
            id: 'c',
            call: 'fixture__fixture_echo',
            input: { text: '{{steps.a.output.text}}{{steps.b.output.text}}' },
            depends_on: ['a', 'b'],
          },
        ],
        output: '{{steps.c.output.text}}',
      },
      wait: true,
    });
    expect(res.body.status).toBe('completed');
    expect(res.body.output).toBe('AB');
    // b does not surely run before a step that follows only a.
    const bad = await run({
      definition: {
        steps: [
          { id: 'a', call: 'whoami' },
          { id: 'b', call: 'whoami', depends_on: [] },
          { id: 'c', call: 'whoami', depends_on: ['a'], input: { x: '{{steps.b.output}}' } },
        ],
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('steps[2] ("c").input');
  });

  it('run_workflow over MCP waits for the result and reports progress per step', async () => {
    const client = await connect2025(t.url, { token: starter.token });
    try {
      const progress: string[] = [];
      const res = await client.callTool(
        {
          name: 'run_workflow',
          arguments: {
            definition: {
              steps: [
                { id: 'first', call: 'fixture__fixture_echo', input: { text: '1' } },
                {
                  id: 'second',
                  call: 'fixture__fixture_echo',
                  input: { text: '{{steps.first.output.text}}2' },
                },
              ],
              output: '{{steps.second.output.text}}',
            },
            wait: true,
          },
        },
        { onprogress: (p: { message?: string }) => progress.push(p.message ?? '') } as never,
      );
      expect(res.isError).toBeFalsy();
      const body = JSON.parse(textOf(res));
      expect(body.status).toBe('completed');
      expect(body.output).toBe('12');
      expect(progress).toContain('step first completed');
    } finally {
      await client.close();
    }
  });

  it('publishes run and step events on the starter’s channel', async () => {
    const seen: Array<{ type: string; status?: string; step_id?: string }> = [];
    const off = t.hub.bus.subscribe(`agent:${starter.id}`, (e) => {
      if (e.type.startsWith('workflow.')) seen.push(e as never);
    });
    try {
      const res = await run({
        definition: { steps: [{ id: 'only', call: 'fixture__fixture_echo', input: { text: 'e' } }] },
        wait: true,
      });
      expect(res.body.status).toBe('completed');
      await eventually(() => seen.some((e) => e.type === 'workflow.run' && e.status === 'completed'));
      expect(seen.filter((e) => e.type === 'workflow.step').map((e) => e.status)).toEqual([
        'running',
        'completed',
      ]);
    } finally {
      off();
    }
  });
});
