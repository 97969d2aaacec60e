/**
 * One hub per data directory: real `switchboard serve` processes on temp homes. A second hub on the
 * same home (or the same database) is refused before it touches anything, naming the running one; a
 * SIGKILLed hub leaves nothing that blocks the next; `stop` stops a background hub; the stdio bridge
 * with a wrong URL names the running hub instead of starting a second one, and waits for its own
 * hub when it answers slowly; `backup` copies a running
 * hub's database with what is still in its WAL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { EXIT_CODE, HubError } from '../src/core/errors.js';
import { createHub, type Hub } from '../src/hub.js';
import { processAlive } from '../src/store/lock/process-alive.js';
import { eventually, FIXTURE, pidsWith } from './gateway-support.js';
import { groupAlive, killGroupQuietly } from './helpers/instances.js';
import { textOf } from './mcp-clients.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'switchboard.js');
const homes: string[] = [];
const procs: ChildProcess[] = [];
const pids: number[] = [];
const pgids: number[] = [];

afterAll(() => {
  for (const p of procs) p.kill('SIGKILL');
  // Hubs started in the background (by connect or the bridge) name themselves in their home's hub.pid.
  for (const h of homes) {
    const pid = Number(existsSync(join(h, 'hub.pid')) ? pidFileOf(h)[0] : NaN);
    if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) pids.push(pid);
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  for (const g of pgids) killGroupQuietly(g);
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

function tempHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'switchboard-lock-'));
  homes.push(home);
  return home;
}

const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH ?? '',
  LOG_LEVEL: 'warn',
  ...extra,
});

interface Served {
  proc: ChildProcess;
  url: string;
  pid: number;
}

/** `switchboard serve` as a child; resolves with its URL once it listens. */
function serve(home: string, args: string[] = []): Promise<Served> {
  const proc = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--home', home, ...args], {
    env: env(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(proc);
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`hub exited with ${code}: ${stderr}`)));
    createInterface({ input: proc.stdout! }).once('line', (line) => {
      const m = /listening on (\S+)/.exec(line);
      if (m) resolve({ proc, url: m[1]!, pid: proc.pid! });
      else reject(new Error(`unexpected first line: ${line}`));
    });
  });
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion. */
function cli(args: string[], extra: Record<string, string> = {}, timeoutMs = 40_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: env(extra), stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const guard = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end();
  });
}

async function api(url: string, home: string, method: string, path: string, body?: unknown) {
  const token = readFileSync(join(home, 'admin-token'), 'utf8').trim();
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as any };
}

const pidFileOf = (home: string) => readFileSync(join(home, 'hub.pid'), 'utf8').split('\n');

/** `switchboard mcp` as a child on this URL and data directory, connected; its stderr collected. */
async function bridge(url: string, home: string): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'mcp'],
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', SWITCHBOARD_URL: url, SWITCHBOARD_HOME: home },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d) => (stderr += String(d)));
  const client = new Client({ name: 'lock-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

describe('one hub per data directory (processes)', () => {
  it(
    "a second serve on the same home exits non-zero naming the first; the first's instances and downstream servers are untouched",
    { timeout: 90_000 },
    async () => {
      const home = tempHome();
      const marker = `lock-fixture-${randomUUID()}`;
      const config = join(home, 'config.json');
      writeFileSync(
        config,
        JSON.stringify({
          gateway: { servers: [{ name: 'fixture', command: process.execPath, args: [FIXTURE, marker] }] },
        }),
      );
      const first = await serve(home, ['--config', config]);
      await eventually(async () => {
        const res = await api(first.url, home, 'GET', '/api/v1/gateway/servers');
        return res.body.servers?.find((s: any) => s.name === 'fixture')?.state === 'ready';
      });
      const downstream = pidsWith(marker);
      expect(downstream).toHaveLength(1);
      const inst = await api(first.url, home, 'POST', '/api/v1/instances', {
        adapter: 'scripted',
        script: { default: { reply: { template: 'echo {{input}}' } } },
      });
      expect(inst.status).toBe(201);
      pgids.push(inst.body.pid);
      expect(pidFileOf(home)).toEqual(expect.arrayContaining([String(first.pid), `url=${first.url}`]));

      const second = await cli(['serve', '--port', '0', '--home', home, '--config', config]);
      expect(second.code).toBe(EXIT_CODE.conflict);
      expect(second.stdout).toBe('');
      expect(second.stderr).toContain(`Another hub is already running on data directory`);
      expect(second.stderr).toContain(`pid ${first.pid}`);
      expect(second.stderr).toContain(`at ${first.url}`);
      expect(second.stderr).toContain('switchboard stop --home');

      // Nothing of the first hub was touched: the same downstream process, the instance still alive
      // and answering, the pid file still naming the first hub.
      expect(pidsWith(marker)).toEqual(downstream);
      expect(groupAlive(inst.body.pid)).toBe(true);
      const view = await api(first.url, home, 'GET', `/api/v1/instances/${inst.body.instance_id}`);
      expect(view.body).toMatchObject({ status: 'idle', pid: inst.body.pid });
      const turn = await api(first.url, home, 'POST', `/api/v1/instances/${inst.body.instance_id}/send`, {
        message: 'still mine',
      });
      expect(turn.body).toMatchObject({ status: 'completed', text: 'echo still mine' });
      expect(pidFileOf(home)[0]).toBe(String(first.pid));
      // ... and the first hub can still stop its own instance.
      const stopped = await api(first.url, home, 'DELETE', `/api/v1/instances/${inst.body.instance_id}`);
      expect(stopped.status).toBe(200);
      await eventually(() => !groupAlive(inst.body.pid), 10_000, 'instance group gone');

      first.proc.kill('SIGTERM');
      await new Promise((r) => first.proc.once('exit', r));
      expect(existsSync(join(home, 'hub.pid'))).toBe(false);
    },
  );

  it('a SIGKILLed hub blocks nothing: the next one starts on the same home and names itself', async () => {
    const home = tempHome();
    const first = await serve(home);
    expect(pidFileOf(home)[0]).toBe(String(first.pid));
    first.proc.kill('SIGKILL');
    await new Promise((r) => first.proc.once('exit', r));
    // The dead hub's pid file is still there; the lock is not.
    expect(pidFileOf(home)[0]).toBe(String(first.pid));
    const second = await serve(home);
    expect(await answers(second.url)).toBe(true);
    expect(pidFileOf(home)).toEqual(expect.arrayContaining([String(second.pid), `url=${second.url}`]));
    second.proc.kill('SIGTERM');
    await new Promise((r) => second.proc.once('exit', r));
  });

  it(
    'stop stops a hub that connect started in the background; with none running it says so (exit 4)',
    { timeout: 90_000 },
    async () => {
      const home = tempHome();
      const url = `http://127.0.0.1:${await freePort()}`;
      const connected = await cli(['connect', 'generic', '--name', 'starter', '--url', url], {
        SWITCHBOARD_HOME: home,
      });
      expect(connected.code).toBe(0);
      expect(connected.stderr).toContain(
        `no hub answers at ${url}; starting one in the background (log: ${join(home, 'hub.log')})`,
      );
      expect(connected.stderr).toMatch(/started a hub at \S+ in the background \(pid \d+, log: /);
      const pid = Number(pidFileOf(home)[0]);
      pids.push(pid);
      expect(processAlive(pid)).toBe(true);
      expect(await answers(url)).toBe(true);

      const stop = await cli(['stop', '--home', home]);
      expect(stop.stderr).toBe('');
      expect(stop.code).toBe(0);
      expect(stop.stdout).toBe(`stopped the hub at ${url} (pid ${pid})\n`);
      expect(processAlive(pid)).toBe(false);
      expect(await answers(url)).toBe(false);
      expect(existsSync(join(home, 'hub.pid'))).toBe(false);

      const again = await cli(['stop', '--home', home, '--json']);
      expect(again.code).toBe(EXIT_CODE.not_found);
      expect(again.stderr).toBe(`switchboard: No hub is running on data directory ${home}\n`);
      expect(JSON.parse(again.stdout).error.code).toBe('not_found');
      const nowhere = await cli(['stop', '--home', join(home, 'never-used')]);
      expect(nowhere.code).toBe(EXIT_CODE.not_found);
      expect(existsSync(join(home, 'never-used'))).toBe(false);
    },
  );

  it(
    'the stdio bridge with a wrong URL names the hub running on its home instead of starting another',
    { timeout: 60_000 },
    async () => {
      const home = tempHome();
      const running = await serve(home);
      const wrong = `http://127.0.0.1:${await freePort()}`;
      const { client, stderr } = await bridge(wrong, home);
      try {
        const status = await client.callTool({ name: 'hub_status', arguments: {} });
        expect(status.isError).toBe(true);
        const text = textOf(status);
        expect(text).toMatch(/^unavailable: No hub answers at /);
        expect(text).toContain(`runs at ${running.url} (pid ${running.pid})`);
        expect(text).toContain(`SWITCHBOARD_URL=${running.url}`);
        expect(stderr()).not.toContain('starting one in the background');
        expect(await answers(wrong)).toBe(false);
        expect(pidFileOf(home)[0]).toBe(String(running.pid));
      } finally {
        await client.close();
      }
      running.proc.kill('SIGTERM');
      await new Promise((r) => running.proc.once('exit', r));
    },
  );

  it(
    'the stdio bridge waits for its data directory’s hub when that hub answers slowly, and starts none',
    { timeout: 60_000 },
    async () => {
      const home = tempHome();
      const running = await serve(home);
      // A hub too busy to answer /health for 4 s (the bridge gives up on one probe after 1.5 s).
      running.proc.kill('SIGSTOP');
      const { client, stderr } = await bridge(running.url, home);
      try {
        const status = client.callTool({ name: 'hub_status', arguments: {} });
        await new Promise((r) => setTimeout(r, 4000));
        running.proc.kill('SIGCONT');
        const answer = await status;
        expect(textOf(answer)).not.toMatch(/^unavailable/);
        expect(answer.isError).toBeFalsy();
        expect(stderr()).not.toContain('starting one in the background');
        expect(existsSync(join(home, 'hub.log'))).toBe(false);
        expect(pidFileOf(home)[0]).toBe(String(running.pid));
      } finally {
        running.proc.kill('SIGCONT');
        await client.close();
      }
      running.proc.kill('SIGTERM');
      await new Promise((r) => running.proc.once('exit', r));
    },
  );

  it(
    'backup copies a running hub’s database, messages still in its WAL included',
    { timeout: 60_000 },
    async () => {
      const home = tempHome();
      const hub = await serve(home);
      const reg = async (name: string) =>
        (await api(hub.url, home, 'POST', '/api/v1/agents/register', { name })).body as {
          agent_id: string;
          token: string;
        };
      const a = await reg('backup-a');
      const b = await reg('backup-b');
      for (let i = 0; i < 60; i++) {
        const res = await fetch(`${hub.url}/api/v1/messages`, {
          method: 'POST',
          headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ to: b.agent_id, body: `message ${i}` }),
        });
        expect(res.status).toBe(200);
      }
      // The messages are in the WAL (not yet in the .db file): a copy of the .db alone would miss them.
      expect(statSync(join(home, 'switchboard.db-wal')).size).toBeGreaterThan(0);

      const file = join(home, 'backup.db');
      const run = await cli(['backup', file, '--home', home]);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^backed up .*switchboard\\.db to ${file} \\(\\d+ bytes\\)\\n$`));
      // One self-contained file: no -wal beside it to keep.
      expect(existsSync(`${file}-wal`)).toBe(false);
      const copy = new Database(file, { readonly: true });
      try {
        const bodies = copy.prepare('SELECT body FROM messages ORDER BY seq').all() as Array<{
          body: string;
        }>;
        expect(bodies.map((r) => JSON.parse(r.body))).toEqual(
          Array.from({ length: 60 }, (_, i) => `message ${i}`),
        );
        expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
      } finally {
        copy.close();
      }
      expect(await answers(hub.url)).toBe(true);

      const twice = await cli(['backup', file, '--home', home]);
      expect(twice.code).toBe(EXIT_CODE.conflict);
      expect(twice.stderr).toContain('already exists');
      expect((await cli(['backup', file, '--home', home, '--force'])).code).toBe(0);
      const none = await cli(['backup', join(home, 'x.db'), '--home', join(home, 'nothing-here')]);
      expect(none.code).toBe(EXIT_CODE.not_found);
      expect(none.stderr).toContain('No database at');
      hub.proc.kill('SIGTERM');
      await new Promise((r) => hub.proc.once('exit', r));
    },
  );
});

describe('one hub per data directory (in one process)', () => {
  const open = (home: string, extra: Record<string, unknown> = {}) =>
    createHub({ config: loadConfig({ env: {}, flags: { home, port: 0, logLevel: 'silent', ...extra } }) });

  it('several hubs on their own homes start side by side; the same home twice is refused until the first closes', async () => {
    const many = await Promise.all(Array.from({ length: 5 }, () => open(tempHome())));
    const urls = await Promise.all(many.map((h) => h.listen()));
    expect(new Set(urls).size).toBe(5);
    for (const url of urls) expect(await answers(url)).toBe(true);

    const home = many[0]!.config.home;
    const refused = await open(home).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(HubError);
    expect((refused as HubError).code).toBe('conflict');
    expect((refused as HubError).message).toContain(`pid ${process.pid}, at ${urls[0]}`);
    expect(await answers(urls[0]!)).toBe(true);

    await many[0]!.close();
    const reopened = await open(home);
    await reopened.listen();
    for (const h of [reopened, ...many.slice(1)]) await h.close();
  });

  it('two homes that share one database file are refused too', async () => {
    const shared = join(tempHome(), 'team.db');
    const first = await open(tempHome(), { db: shared });
    const other = await open(tempHome(), { db: shared }).catch((err: unknown) => err);
    expect((other as HubError).code).toBe('conflict');
    expect((other as HubError).message).toContain(`database ${shared}`);
    // A home's default database is guarded by that home's lock.
    const homeA = tempHome();
    const a = await open(homeA);
    const b = await open(tempHome(), { db: join(homeA, 'switchboard.db') }).catch((err: unknown) => err);
    expect((b as HubError).code).toBe('conflict');
    for (const h of [first, a] as Hub[]) await h.close();
  });
});
