/**
 * Git worktree workspaces with real git and real scripted instances: parallel spawns on one
 * repository all get their own worktree and branch; a clean worktree is removed on terminate, a
 * dirty one survives and is reported.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { hubForFile } from './helpers/hub.js';
import { killGroupQuietly, spawnScripted } from './helpers/instances.js';

let repo: string;
const pids: number[] = [];
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8' }).trim();

const t = hubForFile(
  { instances: { stopGraceSeconds: 0.5, maxConcurrent: 8 } },
  {
    afterClose: async () => {
      for (const pid of pids) killGroupQuietly(pid);
      rmSync(repo, { recursive: true, force: true });
    },
  },
);
beforeAll(async () => {
  repo = mkdtempSync(join(tmpdir(), 'switchboard-repo-'));
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'config', 'user.email', 'test@example.com');
  git(repo, 'config', 'user.name', 'Test');
  writeFileSync(join(repo, 'README.md'), '# repo\n');
  git(repo, 'add', 'README.md');
  git(repo, 'commit', '-q', '-m', 'init');
});

const script = { turns: [{ reply: { template: 'in {{env.PWD}}' } }] };

it('six parallel spawns on one repository each get a worktree on its own branch', async () => {
  const views = await Promise.all(
    Array.from({ length: 6 }, () => spawnScripted(t, t.adminToken, script, { workspace: { repo } })),
  );
  for (const v of views) pids.push(v.pid);
  const branches = views.map((v) => v.worktree.branch);
  expect(new Set(branches).size).toBe(6);
  for (const v of views) {
    expect(v.worktree).toMatchObject({ repo: git(repo, 'rev-parse', '--show-toplevel'), state: 'active' });
    expect(existsSync(join(v.workspace, 'README.md'))).toBe(true);
    expect(git(v.workspace, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe(v.worktree.branch);
  }
  const listed = git(repo, 'worktree', 'list', '--porcelain');
  for (const v of views) expect(listed).toContain(v.workspace);

  // The instance runs in its worktree: a scripted turn answers from there.
  const r = await t.api('POST', `/api/v1/instances/${views[0].instance_id}/send`, {
    token: t.adminToken,
    body: { message: 'where?' },
  });
  expect(r.body.status).toBe('completed');

  // One gets uncommitted work; terminating all removes the five clean ones and keeps the dirty one.
  const dirty = views[2];
  writeFileSync(join(dirty.workspace, 'work.txt'), 'unsaved work\n');
  const ended = await Promise.all(
    views.map((v) => t.api('DELETE', `/api/v1/instances/${v.instance_id}`, { token: t.adminToken })),
  );
  for (const [i, res] of ended.entries()) {
    expect(res.status).toBe(200);
    const w = res.body.terminated[0].worktree;
    if (views[i] === dirty) {
      expect(w.state).toBe('kept');
      expect(w.note).toContain('work.txt');
      expect(existsSync(join(dirty.workspace, 'work.txt'))).toBe(true);
    } else {
      expect(w.state).toBe('removed');
      expect(existsSync(views[i].workspace)).toBe(false);
    }
  }
  const after = git(repo, 'worktree', 'list', '--porcelain');
  expect(after).toContain(dirty.workspace);
  expect(after.split('\n').filter((l) => l.startsWith('worktree ')).length).toBe(2);
  // The branches stay (commits made on them are not lost).
  for (const b of branches) expect(git(repo, 'branch', '--list', b)).toContain(b);
  const status = await t.api('GET', `/api/v1/instances/${dirty.instance_id}`, { token: t.adminToken });
  expect(status.body.worktree.state).toBe('kept');
});

it('refuses a path outside any repository, and a workspace from an agent', async () => {
  const plain = mkdtempSync(join(tmpdir(), 'switchboard-norepo-'));
  const res = await t.api('POST', '/api/v1/instances', {
    token: t.adminToken,
    body: { adapter: 'scripted', script, workspace: { repo: plain } },
  });
  expect(res.status).toBe(400);
  expect(res.body.error.message).toContain('not inside a git repository');
  rmSync(plain, { recursive: true, force: true });

  const agent = await t.register('someone');
  const denied = await t.api('POST', '/api/v1/instances', {
    token: agent.token,
    body: { adapter: 'scripted', script, workspace: { repo } },
  });
  expect(denied.status).toBe(403);
});
