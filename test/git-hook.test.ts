/**
 * `switchboard hooks install` in a real temporary git repository: the pre-commit hook refuses a commit
 * touching a path another agent leases exclusively (naming the holder), and allows everything else.
 * Runs the built CLI (`npm run build`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './helpers/hub.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'switchboard.js');

let t: TestHub | undefined;
let repo: string | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
  if (repo) rmSync(repo, { recursive: true, force: true });
  repo = undefined;
});

function env(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com' };
  e.GIT_COMMITTER_NAME = 't';
  e.GIT_COMMITTER_EMAIL = 't@example.com';
  for (const k of ['SWITCHBOARD_URL', 'SWITCHBOARD_TOKEN', 'SWITCHBOARD_ADMIN_TOKEN']) delete e[k];
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) e[k] = v;
  return e;
}

/** Setup steps that never reach the hub. */
function runSync(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { cwd: repo, env: env({}), encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Anything that may call the in-process test hub must not block the event loop. */
function run(
  cmd: string,
  args: string[],
  extra: Record<string, string | undefined> = {},
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: repo, env: env(extra), stdio: 'pipe' });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

function newRepo(): string {
  repo = mkdtempSync(join(tmpdir(), 'switchboard-hook-'));
  runSync('git', ['init', '-q', '-b', 'main']);
  mkdirSync(join(repo, 'src'));
  writeFileSync(join(repo, 'README.md'), 'hello\n');
  runSync('git', ['add', '.']);
  runSync('git', ['commit', '-q', '-m', 'start', '--no-verify']);
  return repo;
}

function stageAndCommit(file: string, as: Record<string, string | undefined>) {
  writeFileSync(join(repo as string, file), `${Math.random()}\n`);
  runSync('git', ['add', file]);
  return run('git', ['commit', '-m', `edit ${file}`], as);
}

async function expectCommitted(file: string, as: Record<string, string | undefined>) {
  const res = await stageAndCommit(file, as);
  expect(res.code, res.err).toBe(0);
}

describe('git pre-commit hook', () => {
  it('refuses a commit touching another agent’s exclusive lease, naming the holder; allows the rest', async () => {
    t = await startTestHub();
    const alice = await t.register('Alice');
    const bob = await t.register('Bob');
    const lease = await t.api('POST', '/api/v1/leases', {
      token: alice.token,
      body: { patterns: ['src/**'], reason: 'rewriting src' },
    });
    newRepo();
    const installed = await run(process.execPath, [BIN, 'hooks', 'install', '--repo', repo as string]);
    expect(installed.code, installed.err).toBe(0);

    const asBob = { SWITCHBOARD_URL: t.url, SWITCHBOARD_TOKEN: bob.token };
    const refused = await stageAndCommit('src/app.ts', asBob);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain('commit refused');
    expect(refused.err).toContain(alice.id);
    expect(refused.err).toContain('src/app.ts');
    expect(refused.err).toContain(lease.body.expires_at);
    expect(runSync('git', ['log', '--oneline']).out.trim().split('\n')).toHaveLength(1);

    // The holder herself may commit there.
    const asAlice = { SWITCHBOARD_URL: t.url, SWITCHBOARD_TOKEN: alice.token };
    await expectCommitted('src/app.ts', asAlice);
    // Bob may commit paths nobody holds.
    await expectCommitted('README.md', asBob);
    // Once Alice releases, Bob may commit there too.
    await t.api('DELETE', `/api/v1/leases/${lease.body.lease_id}`, { token: alice.token });
    await expectCommitted('src/app.ts', asBob);
    expect(runSync('git', ['log', '--oneline']).out.trim().split('\n')).toHaveLength(4);
  });

  it('warns and allows when the hub cannot be reached', async () => {
    newRepo();
    await run(process.execPath, [BIN, 'hooks', 'install', '--repo', repo as string]);
    const res = await stageAndCommit('src/x.ts', {
      SWITCHBOARD_URL: 'http://127.0.0.1:9',
      SWITCHBOARD_TOKEN: 'x'.repeat(32),
    });
    expect(res.code).toBe(0);
    expect(res.err).toContain('lease check skipped');
  });

  it('warns and allows when the check itself cannot run (the switchboard install moved)', async () => {
    newRepo();
    await run(process.execPath, [BIN, 'hooks', 'install', '--repo', repo as string]);
    const hook = join(repo as string, '.git', 'hooks', 'pre-commit');
    writeFileSync(hook, readFileSync(hook, 'utf8').replace(BIN, '/nonexistent/switchboard.js'));
    const res = await stageAndCommit('src/z.ts', {});
    expect(res.code, res.err).toBe(0);
    expect(res.err).toContain('could not run');
  });

  it('keeps an existing hook (it runs first) and puts it back on uninstall', async () => {
    newRepo();
    const hook = join(repo as string, '.git', 'hooks', 'pre-commit');
    writeFileSync(hook, '#!/bin/sh\necho "own hook ran" >&2\n', { mode: 0o755 });
    const installed = await run(process.execPath, [BIN, 'hooks', 'install', '--repo', repo as string]);
    expect(installed.out).toContain('kept your existing hook');
    const res = await stageAndCommit('src/y.ts', {});
    expect(res.code).toBe(0);
    expect(res.err).toContain('own hook ran');
    expect(res.err).toContain('lease check skipped');

    const removed = await run(process.execPath, [BIN, 'hooks', 'uninstall', '--repo', repo as string]);
    expect(removed.out).toContain('restored your earlier hook');
    expect(readFileSync(hook, 'utf8')).toContain('own hook ran');
    expect(existsSync(`${hook}.switchboard-chained`)).toBe(false);
  });

  it('says so when the directory is not a git repository', async () => {
    repo = mkdtempSync(join(tmpdir(), 'switchboard-nogit-'));
    const res = await run(process.execPath, [BIN, 'hooks', 'install', '--repo', repo]);
    expect(res.code).not.toBe(0);
    expect(res.err).toContain('not a git repository');
  });
});
