/**
 * A hub node that DIES (SIGKILL, a real `switchboard serve --db` child process) leaves instances
 * behind; a surviving node on the same PostgreSQL database notices once its heartbeats stop, marks
 * them with the reason, resumes the resumable one (its workspace is on this machine) with the same
 * agent and CLI session, and takes turns for it from then on. The one that cannot resume is failed.
 * Needs dist/ (`npm run build`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { hubPerTest } from './helpers/hub.js';
import { groupAlive, killGroupQuietly, until } from './helpers/instances.js';
import { createTestDatabase, hasPostgres } from './helpers/postgres.js';

const ADMIN = 'cluster-takeover-admin-token-0123456789';
const pgids: number[] = [];
const children: ChildProcess[] = [];
const homes: string[] = [];
const drops: Array<() => Promise<void>> = [];
const hubs = hubPerTest();

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (const g of pgids) killGroupQuietly(g);
  for (const h of homes) rmSync(h, { recursive: true, force: true });
  for (const drop of drops.splice(0)) await drop();
});

function startNode(db: string, home: string): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(
    process.execPath,
    ['bin/switchboard.js', 'serve', '--db', db, '--home', home, '--port', '0'],
    {
      env: { ...process.env, LOG_LEVEL: 'silent', SWITCHBOARD_ADMIN_TOKEN: ADMIN },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(proc);
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`node exited with ${code}`)));
    createInterface({ input: proc.stdout! }).once('line', (line) => {
      const m = /listening on (\S+)/.exec(line);
      if (m) resolve({ proc, url: m[1]! });
      else reject(new Error(`unexpected first line: ${line}`));
    });
  });
}

async function api(url: string, method: string, path: string, body?: unknown) {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as any };
}

describe.runIf(hasPostgres())('a hub node that dies', () => {
  it('has its instances marked, and the resumable one resumed by a surviving node', async () => {
    const db = await createTestDatabase();
    drops.push(() => db.drop());
    const home = mkdtempSync(join(tmpdir(), 'switchboard-dying-node-'));
    homes.push(home);
    const dying = await startNode(db.url, home);
    const deadId = readFileSync(join(home, 'node-id'), 'utf8').trim();
    const survivor = await hubs.start({
      db: db.url,
      adminToken: ADMIN,
      instances: { stopGraceSeconds: 0.5 },
    });

    const resumable = await api(dying.url, 'POST', '/api/v1/instances', {
      adapter: 'scripted',
      script: { default: { reply: { template: 'turn {{turn}}: {{input}}' }, cost_usd: 0.5 } },
    });
    const plain = await api(dying.url, 'POST', '/api/v1/instances', {
      adapter: 'command',
      command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'],
    });
    expect(resumable.status).toBe(201);
    expect(plain.status).toBe(201);
    pgids.push(resumable.body.pid, plain.body.pid);
    const id = resumable.body.instance_id as string;
    const first = await api(dying.url, 'POST', `/api/v1/instances/${id}/send`, { message: 'hello' });
    expect(first.body).toMatchObject({ status: 'completed', text: 'turn 1: hello' });
    expect((await survivor.hub.store.instances.getInstance(id))?.nodeId).toBe(deadId);

    dying.proc.kill('SIGKILL');
    await new Promise((r) => dying.proc.once('exit', r));

    const get = async (i: string) =>
      (await survivor.api('GET', `/api/v1/instances/${i}`, { token: ADMIN })).body;
    // Once the dead node's heartbeats are stale (15 s) the survivor's sweep takes it over.
    const back = await until(
      'the resumable instance resumed on the survivor',
      async () => {
        const v = await get(id);
        return v.status === 'idle' && v.pid !== resumable.body.pid ? v : null;
      },
      45_000,
    );
    pgids.push(back.pid);
    const rec = await survivor.hub.store.instances.getInstance(id);
    expect(rec?.nodeId).toBe(survivor.hub.services.info.nodes.id);
    // The output says why and where it was resumed.
    const out = await survivor.api('GET', `/api/v1/instances/${id}/output?limit=1000`, { token: ADMIN });
    const note = out.body.events.find((e: { kind: string }) => e.kind === 'resumed');
    expect(note).toMatchObject({ lost_turn: false, session_id: resumable.body.session_id });
    expect(note.reason).toMatch(
      new RegExp(
        `^hub node ${deadId} stopped \\(no heartbeat since [^)]+\\); resuming on hub node ${survivor.hub.services.info.nodes.id}`,
      ),
    );
    expect(back.session_id).toBe(resumable.body.session_id);
    // The dead node's leftover processes on this machine are gone.
    await until('the old process group gone', () => !groupAlive(resumable.body.pid));

    const again = await survivor.api('POST', `/api/v1/instances/${id}/send`, {
      token: ADMIN,
      body: { message: 'again' },
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'completed', text: 'turn 2: again' });
    expect((await get(id)).usage.cost_usd).toBeCloseTo(1, 9);

    const failed = await until('the plain command marked', async () => {
      const v = await get(plain.body.instance_id);
      return v.status === 'failed' ? v : null;
    });
    expect(failed.reason).toContain(`hub node ${deadId} stopped (no heartbeat since`);
    expect(failed.reason).toContain('not resumed: the command adapter cannot resume a session');
    await until('the plain command group gone', () => !groupAlive(plain.body.pid));

    const term = await survivor.api('DELETE', `/api/v1/instances/${id}`, { token: ADMIN });
    expect(term.status).toBe(200);
    expect(term.body.terminated[0]).toMatchObject({ instance_id: id, status: 'stopped' });
  }, 90_000);
});
