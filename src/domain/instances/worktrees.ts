/**
 * Git worktree workspaces: `<home>/worktrees/<instance id>`, a worktree of the given repository on its
 * own branch. `git worktree add/remove` take `.git/config.lock` and friends, so parallel calls on one
 * repository race; every git write to a repository is serialized here (per repository, per hub).
 * A worktree with uncommitted changes is never removed: it is kept and reported.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { HubError } from '../../core/errors.js';
import type { WorktreeInfo } from '../../store/instances.js';

export type { WorktreeInfo };

const run = promisify(execFile);

async function git(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await run('git', ['-C', cwd, ...args], {
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

/** A branch name git accepts, checked by git itself. */
async function checkBranch(repo: string, branch: string): Promise<void> {
  try {
    await git(repo, ['check-ref-format', '--branch', branch]);
  } catch {
    throw new HubError('invalid_input', `workspace.branch: "${branch}" is not a valid git branch name`);
  }
}

export class Worktrees {
  /** The tail of each repository's queue of git writes. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly home: string) {}

  private serialized<T>(repo: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(repo) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => {});
    this.queues.set(repo, tail);
    void tail.then(() => {
      if (this.queues.get(repo) === tail) this.queues.delete(repo);
    });
    return next;
  }

  /** Creates the worktree on `branch` (default `switchboard/<id>`; an existing branch is checked out). */
  async create(instanceId: string, opts: { repo: string; branch?: string }): Promise<WorktreeInfo> {
    const asked = resolve(opts.repo);
    let repo: string;
    try {
      repo = (await git(asked, ['rev-parse', '--show-toplevel'])).trim();
    } catch {
      throw new HubError('invalid_input', `workspace.repo: ${asked} is not inside a git repository`);
    }
    const branch = opts.branch ?? `switchboard/${instanceId}`;
    await checkBranch(repo, branch);
    const path = join(this.home, 'worktrees', instanceId);
    return this.serialized(repo, async () => {
      const exists = await git(repo, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]).then(
        () => true,
        () => false,
      );
      try {
        await git(repo, exists ? ['worktree', 'add', path, branch] : ['worktree', 'add', '-b', branch, path]);
      } catch (err) {
        const msg = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim();
        throw new HubError('conflict', `workspace: git worktree add failed: ${msg.slice(0, 500)}`);
      }
      return { repo, branch, path, state: 'active' as const };
    });
  }

  /** Files with uncommitted changes (tracked or untracked), as `git status --porcelain` lines. */
  async changes(path: string): Promise<string[]> {
    const out = await git(path, ['status', '--porcelain', '--untracked-files=all']);
    return out.split('\n').filter(Boolean);
  }

  /**
   * Removes a clean worktree (its branch stays, with any commits on it); keeps one with uncommitted
   * changes, or one whose state cannot be read.
   */
  async release(w: WorktreeInfo): Promise<WorktreeInfo> {
    if (!existsSync(w.path))
      return { ...w, state: 'removed', note: 'the worktree directory was already gone' };
    return this.serialized(w.repo, async () => {
      let changes: string[];
      try {
        changes = await this.changes(w.path);
      } catch (err) {
        return {
          ...w,
          state: 'kept' as const,
          note: `kept: cannot read its state (${(err as Error).message})`,
        };
      }
      if (changes.length > 0) {
        const shown = changes.slice(0, 5).join('; ');
        return {
          ...w,
          state: 'kept' as const,
          note: `kept: ${changes.length} uncommitted change(s) (${shown}${changes.length > 5 ? '; ...' : ''})`,
        };
      }
      try {
        await git(w.repo, ['worktree', 'remove', w.path]);
        return { ...w, state: 'removed' as const, note: `removed; branch ${w.branch} stays` };
      } catch (err) {
        const msg = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim();
        return {
          ...w,
          state: 'kept' as const,
          note: `kept: git worktree remove failed (${msg.slice(0, 300)})`,
        };
      }
    });
  }
}
