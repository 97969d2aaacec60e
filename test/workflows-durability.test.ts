/**
 * Durability: a hub child process (`node bin/switchboard.js serve`, built) running a workflow is
 * SIGKILLed while a slow step is in flight, restarted on the same data directory, and the workflow
 * finishes there: the steps that had completed are not run again, every step completes exactly once.
 * A step in flight at the kill runs again only when that is safe (a read-only or idempotent call, or
 * retry_on_resume: true); any other fails, and its call is not made a second time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { createHub, type Hub } from '../src/hub.js';
import { anonymous, asAgent, type Caller } from '../src/core/caller.js';
import { eventually, FIXTURE, pidsWith } from './gateway-support.js';

const home = mkdtempSync(join(tmpdir(), 'switchboard-wf-durable-'));
const marker = `wf-durable-fixture-${randomUUID()}`;
const configFile = join(home, 'config.json');
writeFileSync(
  configFile,
  JSON.stringify({
    gateway: { servers: [{ name: 'fixture', command: process.execPath, args: [FIXTURE, marker] }] },
  }),
);
// The hub of the "runs again only when safe" test: calls of two fixture tools wait for an approval,
// which keeps them in flight until the hub is killed.
const heldHome = mkdtempSync(join(tmpdir(), 'switchboard-wf-held-'));
const heldMarker = `wf-held-fixture-${randomUUID()}`;
const heldConfig = join(heldHome, 'config.json');
writeFileSync(
  heldConfig,
  JSON.stringify({
    gateway: {
      servers: [{ name: 'fixture', command: process.execPath, args: [FIXTURE, heldMarker] }],
      approvals: { rules: [{ tools: ['fixture__fixture_flaky_write', 'fixture__fixture_echo'] }] },
    },
  }),
);
const hubs: ChildProcess[] = [];

function startHub(dir = home, config = configFile): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(
    process.execPath,
    ['bin/switchboard.js', 'serve', '--port', '0', '--home', dir, '--config', config],
    { env: { ...process.env, LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  hubs.push(proc);
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`hub exited with ${code}`)));
    createInterface({ input: proc.stdout! }).once('line', (line) => {
      const m = /listening on (\S+)/.exec(line);
      if (m) resolve({ proc, url: m[1]! });
      else reject(new Error(`unexpected first line: ${line}`));
    });
  });
}

function stopped(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((r) => proc.once('exit', () => r()));
}

async function api(url: string, method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(url + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as any };
}

afterAll(async () => {
  for (const h of hubs) {
    h.kill('SIGKILL');
    await stopped(h);
  }
  // Fixture servers of the SIGKILLed hubs (found by this test's markers).
  for (const pid of [...pidsWith(marker), ...pidsWith(heldMarker)]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone already */
    }
  }
  rmSync(home, { recursive: true, force: true });
  rmSync(heldHome, { recursive: true, force: true });
});

it('resumes a workflow after the hub is SIGKILLed mid-run; every step completes exactly once', async () => {
  const first = await startHub();
  const adminToken = readFileSync(join(home, 'admin-token'), 'utf8').trim();
  const register = async (name: string) =>
    (await api(first.url, 'POST', '/api/v1/agents/register', '', { name })).body as {
      agent_id: string;
      token: string;
    };
  const starter = await register('durable-starter');
  const recorder = await register('durable-recorder');
  await eventually(
    async () =>
      (await api(first.url, 'GET', '/api/v1/gateway/health?name=fixture', adminToken)).body.servers[0]
        .state === 'ready',
  );

  const started = await api(first.url, 'POST', '/api/v1/workflows', starter.token, {
    definition: {
      name: 'durable',
      steps: [
        { id: 'one', call: 'send_message', input: { to: recorder.agent_id, subject: 'step one', body: 'x' } },
        { id: 'echo', call: 'fixture__fixture_echo', input: { text: 'echoed {{inputs.n}}' } },
        // The slow step: waits for a message to the starter (the test sends it after the restart).
        // wait_for_messages is not read-only (it marks messages read): the step vouches for it.
        {
          id: 'gate',
          call: 'wait_for_messages',
          input: { timeout_seconds: 300 },
          retry_on_resume: true,
        },
        {
          id: 'three',
          call: 'send_message',
          input: {
            to: recorder.agent_id,
            subject: 'step three',
            body: {
              echo: '{{steps.echo.output.text}}',
              released_by: '{{steps.gate.output.messages[0].body}}',
            },
          },
        },
      ],
      output: '{{steps.three.output.message_id}}',
    },
    inputs: { n: 42 },
  });
  expect(started.status).toBe(201);
  const runId: string = started.body.run_id;
  const step = (body: any, id: string) => body.steps.find((s: { id: string }) => s.id === id);

  await eventually(
    async () =>
      step((await api(first.url, 'GET', `/api/v1/workflows/${runId}`, starter.token)).body, 'gate').status ===
      'running',
  );
  first.proc.kill('SIGKILL');
  await stopped(first.proc);

  const second = await startHub();
  // Resumed: the slow step runs again (attempt 2, retry_on_resume); the completed ones are kept.
  const resumed = await eventually(async () => {
    const r = await api(second.url, 'GET', `/api/v1/workflows/${runId}`, starter.token);
    return step(r.body, 'gate').attempts === 2 && r.body;
  });
  expect(resumed.status).toBe('running');
  expect(step(resumed, 'gate').error).toContain('run again (the step is marked retry_on_resume)');
  expect(step(resumed, 'one')).toMatchObject({ status: 'completed', attempts: 1 });
  expect(step(resumed, 'echo')).toMatchObject({ status: 'completed', attempts: 1 });

  const release = await api(second.url, 'POST', '/api/v1/messages', recorder.token, {
    to: starter.agent_id,
    subject: 'go',
    body: 'released',
  });
  expect(release.status).toBeLessThan(300);
  const done = await eventually(async () => {
    const r = await api(second.url, 'GET', `/api/v1/workflows/${runId}`, starter.token);
    return r.body.status !== 'running' && r.body;
  });
  expect(done.status).toBe('completed');
  expect(done.steps.map((s: { status: string }) => s.status)).toEqual([
    'completed',
    'completed',
    'completed',
    'completed',
  ]);
  expect(step(done, 'three').attempts).toBe(1);
  // The echo step's output from before the crash fed the step after it.
  const inbox = (await api(second.url, 'GET', '/api/v1/messages?limit=500', recorder.token)).body
    .messages as Array<{
    subject: string;
    body: unknown;
  }>;
  expect(inbox.filter((m) => m.subject === 'step one')).toHaveLength(1);
  const three = inbox.filter((m) => m.subject === 'step three');
  expect(three).toHaveLength(1);
  expect(three[0]!.body).toEqual({ echo: 'echoed 42', released_by: 'released' });
  expect(done.output).toBeTruthy();

  second.proc.kill('SIGTERM');
  await stopped(second.proc);
});

it('after a SIGKILL, an in-flight step runs again only when safe; an unsafe one fails and is not called again', async () => {
  const first = await startHub(heldHome, heldConfig);
  const adminToken = readFileSync(join(heldHome, 'admin-token'), 'utf8').trim();
  const register = async (name: string) =>
    (await api(first.url, 'POST', '/api/v1/agents/register', '', { name })).body as {
      agent_id: string;
      token: string;
    };
  const starter = await register('held-starter');
  const recorder = await register('held-recorder');
  const fixtureReady = (url: string) =>
    eventually(
      async () =>
        (await api(url, 'GET', '/api/v1/gateway/health?name=fixture', adminToken)).body.servers[0].state ===
        'ready',
    );
  await fixtureReady(first.url);
  const approvals = async (url: string, tool: string) =>
    (
      (await api(url, 'GET', '/api/v1/gateway/approvals?limit=1000', adminToken)).body.approvals as Array<{
        id: string;
        tool: string;
        status: string;
      }>
    ).filter((a) => a.tool === tool);
  // Everything the recorder got (left unread, so each look sees it all again).
  const inbox = async (url: string) =>
    (await api(url, 'GET', '/api/v1/messages?mark_read=false&limit=500', recorder.token)).body
      .messages as Array<{ subject: string; body: unknown }>;
  const get = async (url: string, id: string) =>
    (await api(url, 'GET', `/api/v1/workflows/${id}`, starter.token)).body;
  const step = (body: any, id: string) => body.steps.find((s: { id: string }) => s.id === id);

  // Not safe to repeat: `request` sends a message, then waits for the answer; a downstream write
  // (not annotated) waits for its approval.
  const unsafe = await api(first.url, 'POST', '/api/v1/workflows', starter.token, {
    definition: {
      name: 'unsafe',
      steps: [
        {
          id: 'both',
          parallel: [
            {
              id: 'ask',
              call: 'request',
              input: { to: recorder.agent_id, subject: 'asked once', body: 'x', timeout_seconds: 300 },
            },
            { id: 'write', call: 'fixture__fixture_flaky_write', input: { key: 'held-write', failures: 0 } },
          ],
        },
        { id: 'after', call: 'send_message', input: { to: recorder.agent_id, subject: 'never sent' } },
      ],
    },
  });
  expect(unsafe.status).toBe(201);
  // Safe to repeat: a read-only hub operation, a read-only downstream tool (waiting for its approval),
  // and a step that says so itself.
  const safe = await api(first.url, 'POST', '/api/v1/workflows', starter.token, {
    definition: {
      name: 'safe',
      steps: [
        {
          id: 'all',
          parallel: [
            {
              id: 'watch',
              call: 'watch_context',
              input: { scope: 'agent', key: 'flag', since_version: 0, timeout_seconds: 300 },
            },
            { id: 'read', call: 'fixture__fixture_echo', input: { text: 'held read' } },
            {
              id: 'gate',
              call: 'wait_for_messages',
              input: { timeout_seconds: 300 },
              retry_on_resume: true,
            },
          ],
        },
        {
          id: 'done',
          call: 'send_message',
          input: {
            to: recorder.agent_id,
            subject: 'safe done',
            body: {
              flag: '{{steps.watch.output.entry.value}}',
              read: '{{steps.read.output.text}}',
              gate: '{{steps.gate.output.messages[0].body}}',
            },
          },
        },
      ],
    },
  });
  expect(safe.status).toBe(201);
  const unsafeId: string = unsafe.body.run_id;
  const safeId: string = safe.body.run_id;

  // Every branch in flight (the held calls are waiting for their approvals; the request was sent).
  await eventually(async () => {
    const u = await get(first.url, unsafeId);
    const sr = await get(first.url, safeId);
    return (
      ['ask', 'write'].every((id) => step(u, id).status === 'running') &&
      ['watch', 'read', 'gate'].every((id) => step(sr, id).status === 'running') &&
      (await approvals(first.url, 'fixture__fixture_flaky_write')).length === 1 &&
      (await approvals(first.url, 'fixture__fixture_echo')).length === 1 &&
      (await inbox(first.url)).some((m) => m.subject === 'asked once')
    );
  });
  first.proc.kill('SIGKILL');
  await stopped(first.proc);

  const second = await startHub(heldHome, heldConfig);
  await fixtureReady(second.url);

  // The unsafe steps fail without being called again; the run fails as with any failed step.
  const failed = await eventually(async () => {
    const r = await get(second.url, unsafeId);
    return r.status !== 'running' && r;
  });
  expect(failed.status).toBe('failed');
  const why = (call: string) =>
    `interrupted by a hub restart while running; not run again because ${call} may have had its effect ` +
    '(mark the step retry_on_resume: true to allow it)';
  expect(step(failed, 'ask')).toMatchObject({ status: 'failed', attempts: 1, error: why('request') });
  expect(step(failed, 'write')).toMatchObject({
    status: 'failed',
    attempts: 1,
    error: why('fixture__fixture_flaky_write'),
  });
  expect(step(failed, 'both').status).toBe('failed');
  expect(step(failed, 'after')).toMatchObject({ status: 'pending', attempts: 0 });
  expect(failed.error).toContain(`step ask ${why('request')}`);
  expect(failed.error).toContain(`step write ${why('fixture__fixture_flaky_write')}`);
  // The request went out once (from the first hub); the write never reached the new hub's approval
  // gate nor the fixture.
  expect((await inbox(second.url)).filter((m) => m.subject === 'asked once')).toHaveLength(1);
  const writes = await approvals(second.url, 'fixture__fixture_flaky_write');
  expect(writes).toHaveLength(1);
  expect(writes[0]!.status).toBe('cancelled');
  const counted = await api(second.url, 'POST', '/api/v1/workflows', starter.token, {
    definition: { steps: [{ id: 'n', call: 'fixture__fixture_calls', input: { key: 'held-write' } }] },
    wait: true,
    timeout_seconds: 30,
  });
  expect(counted.body.status).toBe('completed');
  expect(step(counted.body, 'n').output).toEqual({ calls: 0 });

  // The safe steps run again (attempt 2), saying why while they run.
  const again = await eventually(async () => {
    const r = await get(second.url, safeId);
    return ['watch', 'read', 'gate'].every((id) => step(r, id).attempts === 2) && r;
  });
  expect(again.status).toBe('running');
  expect(step(again, 'watch').error).toContain('run again (watch_context is read-only or idempotent)');
  expect(step(again, 'gate').error).toContain('run again (the step is marked retry_on_resume)');
  const read = step(again, 'read');
  if (read.status === 'running') {
    expect(read.error).toContain('run again (the gateway treats fixture__fixture_echo as safe to repeat)');
  }
  const held = await eventually(async () =>
    (await approvals(second.url, 'fixture__fixture_echo')).find((a) => a.status === 'pending'),
  );
  expect(
    (await api(second.url, 'POST', `/api/v1/gateway/approvals/${held!.id}/approve`, adminToken, {})).status,
  ).toBe(200);
  const setFlag = await api(second.url, 'POST', '/api/v1/ops/set_context', starter.token, {
    scope: 'agent',
    key: 'flag',
    value: 'up',
  });
  expect(setFlag.status).toBeLessThan(300);
  const release = await api(second.url, 'POST', '/api/v1/messages', recorder.token, {
    to: starter.agent_id,
    body: 'go',
  });
  expect(release.status).toBeLessThan(300);
  const done = await eventually(async () => {
    const r = await get(second.url, safeId);
    return r.status !== 'running' && r;
  });
  expect(done.status).toBe('completed');
  for (const id of ['watch', 'read', 'gate']) {
    expect(step(done, id)).toMatchObject({ status: 'completed', attempts: 2, error: null });
  }
  const report = (await inbox(second.url)).filter((m) => m.subject === 'safe done');
  expect(report).toHaveLength(1);
  expect(report[0]!.body).toEqual({ flag: 'up', read: 'held read', gate: 'go' });
  expect((await inbox(second.url)).filter((m) => m.subject === 'never sent')).toHaveLength(0);

  second.proc.kill('SIGTERM');
  await stopped(second.proc);
});

it('a hub closed while a workflow runs leaves it running; the next hub on the same data finishes it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-wf-close-'));
  const open = async (): Promise<Hub> =>
    createHub({ config: loadConfig({ env: {}, flags: { home: dir, port: 0, logLevel: 'silent' } }) });
  let hub = await open();
  try {
    const op = (h: Hub, name: string, caller: Caller, input: unknown) =>
      h.invoker.invoke(
        h.invoker.get(name),
        { caller, services: h.services, requestId: 'test', logger: h.logger, surface: 'internal' },
        input,
      ) as Promise<any>;
    const agentId: string = (await op(hub, 'register_agent', anonymous, { name: 'closer' })).agent_id;
    const me = asAgent(agentId);
    const run = await hub.services.workflows.start(me, {
      definition: {
        steps: [
          { id: 'mark', call: 'set_context', input: { scope: 'agent', key: 'marks', value: 1 } },
          {
            id: 'gate',
            call: 'wait_for_messages',
            input: { timeout_seconds: 300 },
            retry_on_resume: true,
          },
          { id: 'after', call: 'get_context', input: { scope: 'agent', key: 'marks' } },
        ],
      },
    });
    await eventually(async () => {
      const r = await hub.services.workflows.get(run.run_id, me);
      return r.steps[1]?.status === 'running';
    });
    await hub.close();

    hub = await open();
    const resumed = await eventually(async () => {
      const r = await hub.services.workflows.get(run.run_id, me);
      return r.steps[1]?.attempts === 2 ? r : undefined;
    });
    expect(resumed?.status).toBe('running');
    expect(resumed?.steps[0]).toMatchObject({ status: 'completed', attempts: 1 });
    await op(hub, 'send_message', me, { to: agentId, body: 'go' });
    const done = await hub.services.workflows.wait(run.run_id, me, 20_000);
    expect(done.status).toBe('completed');
    expect(done.steps.map((s) => s.attempts)).toEqual([1, 2, 1]);
  } finally {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

it('a hub closed while an unsafe step runs: the next hub fails that step (with its event) and does not call it again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-wf-close-unsafe-'));
  const events: any[] = [];
  const open = async (listen = false): Promise<Hub> =>
    createHub({
      config: loadConfig({ env: {}, flags: { home: dir, port: 0, logLevel: 'silent' } }),
      // Subscribed before the hub resumes its runs, so no event of the resume is missed.
      ...(listen
        ? {
            mountHttp: [
              (_app, ctx) => {
                ctx.bus.subscribe('*', (e) => {
                  if (e.type === 'workflow.step') events.push(e);
                });
              },
            ],
          }
        : {}),
    });
  let hub = await open();
  try {
    const op = (h: Hub, name: string, caller: Caller, input: unknown) =>
      h.invoker.invoke(
        h.invoker.get(name),
        { caller, services: h.services, requestId: 'test', logger: h.logger, surface: 'internal' },
        input,
      ) as Promise<any>;
    const asker = asAgent((await op(hub, 'register_agent', anonymous, { name: 'asker' })).agent_id);
    const askedId: string = (await op(hub, 'register_agent', anonymous, { name: 'asked' })).agent_id;
    const asked = asAgent(askedId);
    const run = await hub.services.workflows.start(asker, {
      definition: {
        steps: [
          { id: 'ask', call: 'request', input: { to: askedId, subject: 'once', timeout_seconds: 300 } },
        ],
      },
    });
    await eventually(
      async () => (await hub.services.workflows.get(run.run_id, asker)).steps[0]?.status === 'running',
    );
    await hub.close();

    hub = await open(true);
    const done = await hub.services.workflows.wait(run.run_id, asker, 20_000);
    const error =
      'interrupted by a hub restart while running; not run again because request may have had its effect ' +
      '(mark the step retry_on_resume: true to allow it)';
    expect(done.status).toBe('failed');
    expect(done.steps[0]).toMatchObject({ status: 'failed', attempts: 1, error });
    expect(events).toContainEqual(
      expect.objectContaining({ run_id: run.run_id, step_id: 'ask', status: 'failed', attempts: 1, error }),
    );
    const inbox = await op(hub, 'check_inbox', asked, { mark_read: false });
    expect(inbox.messages.filter((m: { subject: string }) => m.subject === 'once')).toHaveLength(1);
  } finally {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
