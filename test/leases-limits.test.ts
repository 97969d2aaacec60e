/**
 * Lease patterns cannot hold the hub: a hub in a child process keeps answering /health while
 * pathological check_paths and acquire_lease requests run, and every cap on patterns (stars, length,
 * count, the matching work of one request) is refused with an error that names it, leasing nothing.
 * Needs `npm run build` (the hub process runs from dist/).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type TestHub, startTestHub } from './helpers/hub.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'switchboard.js');

/** How long /health may take while the hostile requests run (generous: the machine may be loaded). */
const HEALTH_BUDGET_MS = 2_000;

function cleanEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('SWITCHBOARD_') && k !== 'LOG_LEVEL') env[k] = v;
  return { ...env, SWITCHBOARD_HOME: home };
}

async function startHubProcess(home: string): Promise<{ proc: ChildProcess; url: string }> {
  const config = join(home, 'config.json');
  writeFileSync(config, JSON.stringify({ rateLimit: { enabled: false } }));
  const proc = spawn(
    process.execPath,
    [BIN, 'serve', '--port', '0', '--log-level', 'warn', '--config', config],
    {
      cwd: ROOT,
      env: cleanEnv(home),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let err = '';
  proc.stderr!.on('data', (d) => (err += String(d)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += String(d);
      const m = /switchboard listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    proc.once('exit', (code, signal) => reject(new Error(`hub exited (${code ?? signal}): ${err}`)));
  });
  return { proc, url };
}

async function call(
  url: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
  signal?: AbortSignal,
) {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: signal ?? AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/**
 * Runs the hostile requests while asking /health back to back; fails if one /health takes longer than
 * HEALTH_BUDGET_MS (a blocked event loop) or the requests do not finish within `finishMs`.
 */
async function whileHealthAnswers<T>(
  url: string,
  hostile: (signal: AbortSignal) => Promise<T>,
  finishMs = 20_000,
) {
  const abort = new AbortController();
  let done = false;
  let checks = 0;
  let worstMs = 0;
  const watcher = (async () => {
    while (!done) {
      const started = performance.now();
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(HEALTH_BUDGET_MS) }).catch(
        (err: Error) => err,
      );
      if (res instanceof Error) {
        abort.abort();
        throw new Error(`/health did not answer within ${HEALTH_BUDGET_MS} ms while the requests ran`);
      }
      expect(res.status).toBe(200);
      await res.text();
      worstMs = Math.max(worstMs, performance.now() - started);
      checks++;
    }
  })();
  const finish = setTimeout(() => abort.abort(), finishMs);
  try {
    const result = await hostile(abort.signal).finally(() => (done = true));
    await watcher;
    return { result, checks, worstMs };
  } catch (err) {
    done = true;
    await watcher; // a /health timeout is the clearer failure
    throw err;
  } finally {
    clearTimeout(finish);
  }
}

describe('a pathological lease pattern never holds the hub (hub in a child process)', () => {
  let home: string;
  let hub: { proc: ChildProcess; url: string };
  let holder: { id: string; token: string };
  let other: { id: string; token: string };

  const register = async (name: string) => {
    const res = await call(hub.url, 'POST', '/api/v1/agents/register', undefined, { name });
    expect(res.status).toBe(200);
    return { id: res.body.agent_id as string, token: res.body.token as string };
  };

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'switchboard-lease-freeze-'));
    hub = await startHubProcess(home);
    holder = await register('holder');
    other = await register('other');
  });

  afterAll(async () => {
    if (hub && hub.proc.exitCode === null && hub.proc.signalCode === null) {
      const gone = new Promise((r) => hub.proc.once('exit', r));
      hub.proc.kill('SIGKILL');
      await gone;
    }
    rmSync(home, { recursive: true, force: true });
  });

  it('check_paths against a 13-star lease answers at once while /health keeps answering', async () => {
    const starry = `${'*a'.repeat(13)}*b`;
    const lease = await call(hub.url, 'POST', '/api/v1/leases', holder.token, { patterns: [starry] });
    expect(lease.status).toBe(201);

    const paths = ['a'.repeat(1000), `${'a'.repeat(999)}b`, `src/${'a'.repeat(200)}`];
    const { result } = await whileHealthAnswers(hub.url, (signal) =>
      Promise.all(
        Array.from({ length: 8 }, () =>
          call(hub.url, 'POST', '/api/v1/leases/check', other.token, { paths }, signal),
        ),
      ),
    );
    for (const res of result) {
      expect(res.status).toBe(200);
      expect(res.body.blocked).toEqual([`${'a'.repeat(999)}b`]);
    }
    await call(hub.url, 'DELETE', `/api/v1/leases/${lease.body.lease_id}`, holder.token);
  });

  it('acquire_lease with 100 long patterns against 100 held ones stops at the work cap, naming it', async () => {
    // Long runs of `?` around one star: every pair agrees character by character for a long way,
    // the most comparisons a pair of patterns can cost. 100 × 100 pairs of them exceed the cap.
    const long = (i: number, tag: string) => `${'?'.repeat(490)}*${'?'.repeat(490)}${tag}${i}`;
    const held = await call(hub.url, 'POST', '/api/v1/leases', holder.token, {
      patterns: Array.from({ length: 100 }, (_, i) => long(i, 'x')),
      mode: 'shared',
    });
    expect(held.status).toBe(201);

    const { result } = await whileHealthAnswers(hub.url, (signal) =>
      Promise.all(
        Array.from({ length: 3 }, () =>
          call(
            hub.url,
            'POST',
            '/api/v1/leases',
            other.token,
            { patterns: Array.from({ length: 100 }, (_, i) => long(i, 'y')) },
            signal,
          ),
        ),
      ),
    );
    for (const res of result) {
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_input');
      expect(res.body.error.message).toContain('leases.maxMatchSteps');
      expect(res.body.error.message).toContain('5,000,000');
      expect(res.body.error.details).toMatchObject({ limit: 5_000_000, setting: 'leases.maxMatchSteps' });
    }
    // Nothing was leased, and ordinary leases still go through next to the long ones.
    const mine = await call(hub.url, 'GET', `/api/v1/leases?holder=${other.id}`, other.token);
    expect(mine.body.total).toBe(0);
    const plain = await call(hub.url, 'POST', '/api/v1/leases', other.token, { patterns: ['src/**'] });
    expect(plain.status).toBe(201);
  });

  it('refuses a pattern with more stars than the cap before comparing anything', async () => {
    const patterns = Array.from({ length: 100 }, (_, i) => `${'*a'.repeat(495)}${i}`);
    const { result: res } = await whileHealthAnswers(hub.url, (signal) =>
      call(hub.url, 'POST', '/api/v1/leases', other.token, { patterns }, signal),
    );
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('more than the 16 a pattern may have');
  });
});

describe('lease pattern limits name themselves', () => {
  let t: TestHub | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('refuses too many stars, too long, too many patterns and too long paths, leasing nothing', async () => {
    t = await startTestHub({ rateLimit: { enabled: false } });
    const a = await t.register('a');
    const acquire = (patterns: string[]) =>
      t!.api('POST', '/api/v1/leases', { token: a.token, body: { patterns } });

    const stars = await acquire(['src/a.ts', `${'*x'.repeat(17)}`]);
    expect(stars.status).toBe(400);
    expect(stars.body.error.message).toMatch(
      /patterns\.1: .* has 17 "\*", more than the 16 a pattern may have/,
    );

    const long = await acquire([`src/${'x'.repeat(1030)}`]);
    expect(long.status).toBe(400);
    expect(long.body.error.message).toContain('at most 1024 characters');

    const many = await acquire(Array.from({ length: 101 }, (_, i) => `src/${i}.ts`));
    expect(many.status).toBe(400);
    expect(many.body.error.message).toContain('at most 100 patterns per lease');

    const path = await t.api('POST', '/api/v1/leases/check', {
      token: a.token,
      body: { paths: [`src/${'x'.repeat(1030)}`] },
    });
    expect(path.status).toBe(400);
    expect(path.body.error.message).toContain('at most 1024 characters');

    expect((await t.api('GET', '/api/v1/leases', { token: a.token })).body.total).toBe(0);

    // Exactly at the caps is fine.
    const atCap = await acquire([`${'*x'.repeat(16)}`, `src/${'y'.repeat(1020)}`]);
    expect(atCap.status).toBe(201);
  });

  it('a check whose matching work passes leases.maxMatchSteps fails naming it and its value', async () => {
    t = await startTestHub({ rateLimit: { enabled: false }, leases: { maxMatchSteps: 10_000 } });
    const a = await t.register('a');
    const b = await t.register('b');
    const patterns = Array.from({ length: 100 }, (_, i) => `**/${i}/*.ts`);
    expect((await t.api('POST', '/api/v1/leases', { token: a.token, body: { patterns } })).status).toBe(201);
    const paths = Array.from({ length: 500 }, (_, i) => `src/deep/${i}/file.ts`);
    const res = await t.api('POST', '/api/v1/leases/check', { token: b.token, body: { paths } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('10,000 comparisons');
    expect(res.body.error.message).toContain('leases.maxMatchSteps');
    expect(res.body.error.message).toContain('check fewer paths per call');
    // A smaller check of the same paths goes through.
    const small = await t.api('POST', '/api/v1/leases/check', {
      token: b.token,
      body: { paths: paths.slice(0, 3) },
    });
    expect(small.status).toBe(200);
    expect(small.body.blocked).toEqual(paths.slice(0, 3));
  });

  it('list_leases pages, with total counting every live lease', async () => {
    t = await startTestHub({ rateLimit: { enabled: false } });
    const a = await t.register('a');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await t.api('POST', '/api/v1/leases', {
        token: a.token,
        body: { patterns: [`src/${i}/**`] },
      });
      expect(res.status).toBe(201);
      ids.push(res.body.lease_id);
    }
    const page = await t.api('GET', '/api/v1/leases?limit=2&offset=2', { token: a.token });
    expect(page.body.total).toBe(5);
    expect(page.body.leases.map((l: any) => l.lease_id)).toEqual(ids.slice(2, 4));
    const tooMany = await t.api('GET', '/api/v1/leases?limit=501', { token: a.token });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.message).toContain('at most 500 leases per page');
  });
});
