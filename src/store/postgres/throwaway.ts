/**
 * A throwaway PostgreSQL server for tests and benchmarks: `initdb` into a temp directory, `postgres`
 * on a free loopback port with trust authentication and its unix socket in that directory, removed
 * again on `stop()`. It uses the machine's PostgreSQL binaries (`SWITCHBOARD_PG_BIN`, else
 * `pg_config --bindir`, else the newest `/usr/lib/postgresql/<version>/bin`). PostgreSQL refuses to
 * run as root, so under root both run as the `postgres` user that Debian's package creates.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface ThrowawayPostgres {
  /** The server's base URL (database `postgres`). */
  readonly url: string;
  readonly port: number;
  /** A URL for the named database on this server. */
  urlFor(database: string): string;
  /** Creates a fresh empty database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Drops a database made by `createDatabase` (its open connections are ended first). */
  dropDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

const SUPERUSER = 'switchboard';

/** Where the PostgreSQL server binaries are, or undefined when this machine has none. */
export function findPostgresBinaries(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const has = (dir: string) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'));
  if (env.SWITCHBOARD_PG_BIN) return has(env.SWITCHBOARD_PG_BIN) ? env.SWITCHBOARD_PG_BIN : undefined;
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: 'pipe' }).trim();
    if (has(dir)) return dir;
  } catch {
    /* no pg_config: look in Debian's place */
  }
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (has(join(root, v, 'bin'))) return join(root, v, 'bin');
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** The `postgres` user's ids when we are root (PostgreSQL will not run as root), else none. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  let uid: number;
  let gid: number;
  try {
    uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  } catch {
    throw new Error(
      "PostgreSQL will not run as root and there is no `postgres` user; install Debian's postgresql package (apt-get install -y postgresql)",
    );
  }
  return { uid, gid };
}

export async function startThrowawayPostgres(opts: { binDir?: string } = {}): Promise<ThrowawayPostgres> {
  const bin = opts.binDir ?? findPostgresBinaries();
  if (!bin) {
    throw new Error(
      'No PostgreSQL server binaries found: install PostgreSQL (Debian: apt-get install -y postgresql) or set SWITCHBOARD_PG_BIN',
    );
  }
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  // Run as that user directly (no runuser in between), so our signals reach the server itself.
  const as = user ? { uid: user.uid, gid: user.gid, env: { ...process.env, HOME: dir } } : {};
  try {
    execFileSync(
      join(bin, 'initdb'),
      ['-D', data, '-U', SUPERUSER, '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'],
      { stdio: 'pipe', ...as },
    );
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`initdb failed: ${stderr.trim() || (err as Error).message}`);
  }

  const port = await freePort();
  const args = [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'max_connections=400',
    '-c',
    'shared_buffers=64MB',
    // A throwaway server: durability buys nothing, speed does.
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
  ];
  const child: ChildProcess = spawn(join(bin, 'postgres'), args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    ...as,
  });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      if (log.length > 20_000) log = log.slice(-20_000);
      if (log.includes('ready to accept connections')) {
        child.stderr?.off('data', onData);
        child.stderr?.resume();
        resolve();
      }
    };
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`postgres exited (${code}) before it was ready:\n${log}`)));
    child.once('error', reject);
  });

  const url = `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`;
  const urlFor = (database: string) => `postgres://${SUPERUSER}@127.0.0.1:${port}/${database}`;
  let counter = 0;
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };

  return {
    url,
    port,
    urlFor,
    async createDatabase(name) {
      const db = name ?? `sb_${process.pid}_${Date.now().toString(36)}_${++counter}`;
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(db)) throw new Error(`not a plain database name: ${db}`);
      await admin((c) => c.query(`CREATE DATABASE ${db}`));
      return urlFor(db);
    },
    async dropDatabase(name) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a plain database name: ${name}`);
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGINT'); // fast shutdown
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
