/**
 * Section (f)'s floor server (bench/scenarios/context-floor-server.ts, built) as the bench runs it: a
 * real process on loopback with its SQLite file in a temp directory. A set is answered with the key's
 * new version only once it is in the file; 16 sets in flight are all answered and all stored; a wrong
 * bearer is refused.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SCRIPT = join(import.meta.dirname, '..', 'dist', 'bench', 'scenarios', 'context-floor-server.js');

let child: ChildProcess;
let url = '';
let dir = '';
let file = '';

beforeAll(async () => {
  if (!existsSync(SCRIPT)) throw new Error(`${SCRIPT} is missing: run npm run build first`);
  dir = mkdtempSync(join(tmpdir(), 'switchboard-context-floor-test-'));
  file = join(dir, 'floor.db');
  child = spawn(process.execPath, [SCRIPT, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`floor server exited (${code}): ${stderr}`)));
  });
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function register(): Promise<string> {
  const res = await fetch(`${url}/api/v1/agents/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench-context' }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

function put(token: string, key: string, value: unknown): Promise<Response> {
  return fetch(`${url}/api/v1/context/global/${key}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ value }),
  });
}

/** The rows as another connection reads them from the file. */
function stored(): Map<string, { value: unknown; version: number }> {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare('SELECT key, value, version FROM context').all() as Array<{
      key: string;
      value: string;
      version: number;
    }>;
    return new Map(rows.map((r) => [r.key, { value: JSON.parse(r.value), version: r.version }]));
  } finally {
    db.close();
  }
}

describe('context floor server', () => {
  it('stores a set in its SQLite file and answers with the new version', async () => {
    const token = await register();
    const first = await put(token, 'bench-one', { note: 'a', step: 0 });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({
      scope: 'global',
      key: 'bench-one',
      version: 1,
      value: { note: 'a', step: 0 },
    });
    expect(stored().get('bench-one')).toEqual({ value: { note: 'a', step: 0 }, version: 1 });

    const second = await put(token, 'bench-one', { note: 'b', step: 1 });
    expect(((await second.json()) as { version: number }).version).toBe(2);
    expect(stored().get('bench-one')).toEqual({ value: { note: 'b', step: 1 }, version: 2 });
  });

  it('answers 16 sets in flight, each stored by the time it is answered', async () => {
    const token = await register();
    const answers = await Promise.all(
      Array.from({ length: 16 }, async (_, lane) => {
        const res = await put(token, `bench-lane-${lane}`, { lane });
        return { status: res.status, body: (await res.json()) as { key: string; version: number } };
      }),
    );
    const rows = stored();
    for (const [lane, a] of answers.entries()) {
      expect(a).toEqual({
        status: 200,
        body: expect.objectContaining({ key: `bench-lane-${lane}`, version: 1 }),
      });
      expect(rows.get(`bench-lane-${lane}`)).toEqual({ value: { lane }, version: 1 });
    }
  });

  it('refuses a set with another bearer token and stores nothing', async () => {
    const res = await put('not-the-token', 'bench-refused', 1);
    expect(res.status).toBe(401);
    expect(stored().has('bench-refused')).toBe(false);
  });
});
