/**
 * A hub killed with SIGKILL leaves its instances' process groups running; the next hub on the same
 * data directory kills them at start (zero orphans), resumes the CLI sessions it can (Claude Code
 * --resume) and records why it could not resume the others. Real processes throughout.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, expect, it } from 'vitest';
import { groupAlive, killGroupQuietly, until } from './helpers/instances.js';

const home = mkdtempSync(join(tmpdir(), 'switchboard-orphans-'));
const hubs: ChildProcess[] = [];
const pgids: number[] = [];

function startHub(): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, ['bin/switchboard.js', 'serve', '--port', '0', '--home', home], {
    env: { ...process.env, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
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

async function api(url: string, method: string, path: string, body?: unknown) {
  const token = readFileSync(join(home, 'admin-token'), 'utf8').trim();
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as any };
}

afterAll(() => {
  for (const h of hubs) h.kill('SIGKILL');
  for (const g of pgids) killGroupQuietly(g);
  rmSync(home, { recursive: true, force: true });
});

const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');

it('kills the process groups a SIGKILLed hub left behind, then resumes the sessions it can', async () => {
  const first = await startHub();
  // A: busy in a hanging turn and deaf to SIGTERM. B: answered a turn, idle. C: a plain command,
  // which has no session to resume.
  const a = await api(first.url, 'POST', '/api/v1/instances', {
    adapter: 'scripted',
    script: { ignore_sigterm: true, turns: [{ hang: true }] },
    task: 'work',
  });
  const b = await api(first.url, 'POST', '/api/v1/instances', {
    adapter: 'scripted',
    script: { default: { reply: { template: 'turn {{turn}}: {{input}}' }, cost_usd: 0.5 } },
  });
  const c = await api(first.url, 'POST', '/api/v1/instances', {
    adapter: 'command',
    command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'],
  });
  // D: codex, a process per turn: nothing runs between turns, and its thread goes on after the restart.
  const d = await api(first.url, 'POST', '/api/v1/instances', {
    adapter: 'codex',
    script: { default: { reply: { template: 'codex turn {{turn}}: {{input}}' } } },
  });
  expect(d.status).toBe(201);
  for (const r of [a, b, c]) {
    expect(r.status).toBe(201);
    pgids.push(r.body.pid);
  }
  const dBefore = await api(first.url, 'POST', `/api/v1/instances/${d.body.instance_id}/send`, {
    message: 'one',
  });
  expect(dBefore.body.text).toBe('codex turn 1: one');
  const before = await api(first.url, 'POST', `/api/v1/instances/${b.body.instance_id}/send`, {
    message: 'hello',
  });
  expect(before.body.text).toBe('turn 1: hello');
  first.proc.kill('SIGKILL');
  await new Promise((r) => first.proc.once('exit', r));
  // Nothing stopped them: they are orphans now.
  for (const r of [a, b, c]) expect(groupAlive(r.body.pid)).toBe(true);

  const second = await startHub();
  for (const r of [a, b, c]) await until(`group ${r.body.pid} gone`, () => !groupAlive(r.body.pid));
  const get = async (id: string) => (await api(second.url, 'GET', `/api/v1/instances/${id}`)).body;

  const gone = await get(c.body.instance_id);
  expect(gone.status).toBe('failed');
  expect(gone.reason).toContain('the hub restarted');
  expect(gone.reason).toContain('cannot resume');

  // B comes back in a new process continuing its Claude session, and remembers what it cost.
  const resumed = await until('B resumed', async () => {
    const v = await get(b.body.instance_id);
    return v.status === 'idle' && v.pid !== b.body.pid ? v : null;
  });
  pgids.push(resumed.pid);
  expect(resumed.session_id).toBe(b.body.session_id);
  const argv = cmdline(resumed.pid);
  expect(argv[argv.indexOf('--resume') + 1]).toBe(b.body.session_id);
  const after = await api(second.url, 'POST', `/api/v1/instances/${b.body.instance_id}/send`, {
    message: 'again',
  });
  expect(after.body).toMatchObject({ status: 'completed', text: 'turn 2: again' });
  expect((await get(b.body.instance_id)).usage.cost_usd).toBeCloseTo(1, 9);
  // It is the same agent, with the same token, on the new hub's address.
  const peers = await api(second.url, 'GET', '/api/v1/agents');
  expect(peers.body.agents.map((x: { agent_id: string }) => x.agent_id)).toContain(b.body.agent_id);

  // A comes back too; its hanging turn was lost with the old process, and the output says so.
  const aBack = await until('A resumed', async () => {
    const v = await get(a.body.instance_id);
    return v.status === 'idle' ? v : null;
  });
  pgids.push(aBack.pid);
  const out = await api(second.url, 'GET', `/api/v1/instances/${a.body.instance_id}/output?limit=1000`);
  const note = out.body.events.find((e: { kind: string }) => e.kind === 'resumed');
  expect(note).toMatchObject({ lost_turn: true, session_id: a.body.session_id });

  const thread = await until('D resumed', async () => {
    const v = await get(d.body.instance_id);
    return v.status === 'idle' ? v : null;
  });
  const dAfter = await api(second.url, 'POST', `/api/v1/instances/${d.body.instance_id}/send`, {
    message: 'two',
  });
  expect(dAfter.body).toMatchObject({ status: 'completed', text: 'codex turn 2: two' });
  expect((await get(d.body.instance_id)).session_id).toBe(thread.session_id);

  for (const r of [a, b, d]) {
    const term = await api(second.url, 'DELETE', `/api/v1/instances/${r.body.instance_id}`);
    expect(term.status).toBe(200);
  }
  for (const pid of [aBack.pid, resumed.pid]) expect(groupAlive(pid)).toBe(false);
  second.proc.kill('SIGTERM');
  await new Promise((r) => second.proc.once('exit', r));
});

it('a hub stopped cleanly suspends resumable instances and the next hub resumes them', async () => {
  const first = await startHub();
  const claude = await api(first.url, 'POST', '/api/v1/instances', {
    adapter: 'scripted',
    script: { default: { reply: { template: 'turn {{turn}}: {{input}}' } } },
  });
  const gemini = await api(first.url, 'POST', '/api/v1/instances', {
    adapter: 'gemini',
    script: { default: { reply: { template: 'gemini turn {{turn}}: {{input}}' } } },
  });
  const plain = await api(first.url, 'POST', '/api/v1/instances', {
    adapter: 'command',
    command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'],
  });
  for (const r of [claude, gemini, plain]) expect(r.status).toBe(201);
  pgids.push(claude.body.pid, plain.body.pid);
  for (const [r, word] of [
    [claude, 'before'],
    [gemini, 'before'],
  ] as const) {
    const sent = await api(first.url, 'POST', `/api/v1/instances/${r.body.instance_id}/send`, {
      message: word,
    });
    expect(sent.body.status).toBe('completed');
  }
  first.proc.kill('SIGTERM');
  await new Promise((r) => first.proc.once('exit', r));
  // A clean stop leaves no process either.
  for (const r of [claude, plain]) expect(groupAlive(r.body.pid)).toBe(false);

  const second = await startHub();
  const get = async (id: string) => (await api(second.url, 'GET', `/api/v1/instances/${id}`)).body;
  expect((await get(plain.body.instance_id)).status).toBe('stopped');
  const back = await until('claude resumed', async () => {
    const v = await get(claude.body.instance_id);
    return v.status === 'idle' && v.pid !== claude.body.pid ? v : null;
  });
  pgids.push(back.pid);
  for (const [r, text] of [
    [claude, 'turn 2: after'],
    [gemini, 'gemini turn 2: after'],
  ] as const) {
    await until(`${r.body.adapter} idle`, async () => (await get(r.body.instance_id)).status === 'idle');
    const sent = await api(second.url, 'POST', `/api/v1/instances/${r.body.instance_id}/send`, {
      message: 'after',
    });
    expect(sent.body).toMatchObject({ status: 'completed', text });
  }
  for (const r of [claude, gemini])
    expect((await api(second.url, 'DELETE', `/api/v1/instances/${r.body.instance_id}`)).status).toBe(200);
  expect(groupAlive(back.pid)).toBe(false);
  second.proc.kill('SIGTERM');
  await new Promise((r) => second.proc.once('exit', r));
});
