/**
 * A hub killed with SIGKILL leaves its instances' process groups running; the next hub on the same
 * data directory kills them at start and records why: zero orphans. Real processes throughout.
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

it('kills the process groups a SIGKILLed hub left behind when the next hub starts', async () => {
  const first = await startHub();
  const spawned = [];
  for (const script of [{ startup: { hang: true } }, { ignore_sigterm: true, turns: [{ hang: true }] }]) {
    const res = await api(first.url, 'POST', '/api/v1/instances', {
      adapter: 'scripted',
      script,
      task: 'work',
    });
    expect(res.status).toBe(201);
    pgids.push(res.body.pid);
    spawned.push(res.body);
  }
  first.proc.kill('SIGKILL');
  await new Promise((r) => first.proc.once('exit', r));
  // Nothing stopped them: they are orphans now.
  for (const s of spawned) expect(groupAlive(s.pid)).toBe(true);

  const second = await startHub();
  for (const s of spawned) await until(`group ${s.pid} gone`, () => !groupAlive(s.pid));
  const list = await api(second.url, 'GET', '/api/v1/instances');
  for (const s of spawned) {
    const row = list.body.instances.find((i: { instance_id: string }) => i.instance_id === s.instance_id);
    expect(row.status).toBe('failed');
    expect(row.reason).toContain('the hub restarted');
  }
  second.proc.kill('SIGTERM');
  await new Promise((r) => second.proc.once('exit', r));
});
