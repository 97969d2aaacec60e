/**
 * Durability: a hub child process (`node bin/switchboard.js serve`, built) running a workflow is
 * SIGKILLed while a slow step is in flight, restarted on the same data directory, and the workflow
 * finishes there: the steps that had completed are not run again, every step completes exactly once.
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
const hubs: ChildProcess[] = [];

function startHub(): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(
    process.execPath,
    ['bin/switchboard.js', 'serve', '--port', '0', '--home', home, '--config', configFile],
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
  // Fixture servers of the SIGKILLed hub (found by this test's marker).
  for (const pid of pidsWith(marker)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone already */
    }
  }
  rmSync(home, { recursive: true, force: true });
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
        { id: 'gate', call: 'wait_for_messages', input: { timeout_seconds: 300 } },
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
  // Resumed: the slow step runs again (attempt 2); the completed ones are kept.
  const resumed = await eventually(async () => {
    const r = await api(second.url, 'GET', `/api/v1/workflows/${runId}`, starter.token);
    return step(r.body, 'gate').attempts === 2 && r.body;
  });
  expect(resumed.status).toBe('running');
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
          { id: 'gate', call: 'wait_for_messages', input: { timeout_seconds: 300 } },
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
