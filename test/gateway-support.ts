/** Shared pieces of the gateway tests: downstream server specs and polling for eventual state. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConfigInput } from '../src/config/schema.js';
import { startTestHub, type TestHub } from './helpers/hub.js';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));

export const FIXTURE = join(here, 'fixtures', 'mcp-fixture-server.mjs');
/** The conformance suite's fixtures (tools, resources, prompts) plus ctl_* control tools. */
export const CONFORMANCE_FIXTURE = join(here, 'fixtures', 'conformance-fixture-server.mjs');
export const EVERYTHING = join(
  dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')),
  'dist',
  'index.js',
);
export const MEMORY = join(
  dirname(require.resolve('@modelcontextprotocol/server-memory/package.json')),
  'dist',
  'index.js',
);

/** Polls until `check` returns a truthy value (or throws the last failure after `ms`). */
export async function eventually<T>(
  check: () => T | Promise<T>,
  ms = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A hub with the fixture server as downstream `fixture`, holding `fixture__*echo` calls whose text
 * starts with "danger" for approval; resolves once the server is ready. `config` adds to it.
 */
export async function startApprovalFixtureHub(config: ConfigInput = {}): Promise<TestHub> {
  const t = await startTestHub({
    ...config,
    gateway: {
      approvals: { timeoutSeconds: 120, rules: [{ tools: ['fixture__*echo'], args: { text: '^danger' } }] },
      servers: [{ name: 'fixture', command: process.execPath, args: [FIXTURE] }],
    },
  });
  await eventually(async () => {
    const res = await t.api('GET', '/api/v1/gateway/health?name=fixture', { token: t.adminToken });
    return res.body.servers[0].state === 'ready';
  });
  return t;
}

/** The pending gateway approval whose call's `text` argument is `text`, once the hub holds it. */
export async function pendingApproval(t: TestHub, text: string) {
  return eventually(
    async () => {
      const res = await t.api('GET', '/api/v1/gateway/approvals?status=pending', { token: t.adminToken });
      return res.body.approvals.find((a: { args: { text?: string } }) => a.args.text === text);
    },
    15_000,
    `a pending approval for ${text}`,
  );
}

/** Process ids whose command line contains `marker` (to count a server's processes). */
export function pidsWith(marker: string): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes(marker) && !line.includes('ps -eo'))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

/** A downstream server run over Streamable HTTP by the test itself (the hub only knows its URL). */
export interface HttpDownstream {
  url: string;
  port: number;
  child: ChildProcess;
  /** SIGKILLs the process and waits for it to exit. */
  kill(): Promise<void>;
}

/** Starts the fixture server in HTTP mode (`port` 0: ephemeral) and waits for its URL line. */
export async function startHttpFixture(
  port = 0,
  marker = 'http-fixture',
  script = FIXTURE,
): Promise<HttpDownstream> {
  const child = spawn(process.execPath, [script, '--http', '--port', String(port), marker], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`fixture did not start: ${out}`)), 15_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const m = /listening on (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    child.once('exit', (code) => reject(new Error(`fixture exited (${code}): ${out}`)));
  });
  return { url, port: Number(new URL(url).port), child, kill: () => killChild(child) };
}

/** Starts server-everything's `streamableHttp` transport on a free loopback port. */
export async function startHttpEverything(): Promise<HttpDownstream> {
  const port = await freePort();
  const child = spawn(process.execPath, [EVERYTHING, 'streamableHttp'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PORT: String(port) },
  });
  const url = `http://127.0.0.1:${port}/mcp`;
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`server-everything exited (${child.exitCode})`);
      const res = await fetch(url, { method: 'GET' }).catch(() => undefined);
      return res !== undefined;
    },
    20_000,
    'server-everything streamableHttp',
  );
  return { url, port, child, kill: () => killChild(child) };
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

export async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}
