/**
 * `switchboard hooks install|uninstall|check`: a git pre-commit hook that refuses a commit touching
 * paths another agent leases exclusively on the hub.
 *
 * The hook asks the hub at $SWITCHBOARD_URL, acting as the agent of $SWITCHBOARD_TOKEN, with
 * `check_paths` for every staged path (added, changed, deleted, renamed). It refuses only on a definite
 * answer that a path is blocked; when the hub cannot be reached, no token is set, or the hub answers
 * with an error, it prints a warning and lets the commit through (a lease is coordination, not access
 * control; `git commit --no-verify` skips the hook as with any hook). An existing pre-commit hook is
 * kept: it is renamed to `pre-commit.switchboard-chained` and runs first; uninstall puts it back.
 * If the check itself cannot run (the switchboard install moved, Node fails), the hook warns and allows.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { SwitchboardError } from '../../client/errors.js';
import { connect } from './connection.js';
import { action, usageExits } from './run.js';

const MARKER = '# switchboard pre-commit hook';
const CHAINED = 'pre-commit.switchboard-chained';
/** Staged paths per check_paths call. */
const CHECK_BATCH = 1000;
/** `hooks check` exits with this when a staged path is blocked; any other failure lets the commit through. */
const REFUSED = 10;

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function git(repo: string, args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim();
    throw new SwitchboardError(
      'invalid_input',
      `${repo} is not a git repository (${stderr || 'git failed'})`,
    );
  }
}

function hooksDir(repo: string): string {
  const dir = git(repo, ['rev-parse', '--git-path', 'hooks']).trim();
  return isAbsolute(dir) ? dir : resolve(repo, dir);
}

function hookScript(): string {
  const bin = realpathSync(process.argv[1] ?? '');
  return [
    '#!/bin/sh',
    MARKER,
    '# Installed by `switchboard hooks install`; `switchboard hooks uninstall` removes it.',
    '# Refuses a commit touching paths another agent leases exclusively on the Switchboard hub',
    '# ($SWITCHBOARD_URL, as the agent of $SWITCHBOARD_TOKEN). Hub unreachable: warns and allows.',
    `chained="$(dirname "$0")/${CHAINED}"`,
    'if [ -x "$chained" ]; then "$chained" "$@" || exit $?; fi',
    `${shellQuote(process.execPath)} ${shellQuote(bin)} hooks check`,
    'status=$?',
    `if [ $status -eq ${REFUSED} ]; then exit 1; fi`,
    'if [ $status -ne 0 ]; then',
    '  echo "switchboard: the lease check could not run (exit $status); committing anyway" >&2',
    'fi',
    'exit 0',
    '',
  ].join('\n');
}

const isOurs = (file: string) => existsSync(file) && readFileSync(file, 'utf8').includes(MARKER);

function install(repo: string): string[] {
  const dir = hooksDir(repo);
  const hook = join(dir, 'pre-commit');
  const chained = join(dir, CHAINED);
  const notes: string[] = [];
  if (existsSync(hook) && !isOurs(hook)) {
    if (existsSync(chained)) {
      throw new SwitchboardError(
        'conflict',
        `${hook} exists and ${chained} too; move one of them away and run hooks install again`,
      );
    }
    renameSync(hook, chained);
    notes.push(`kept your existing hook: it runs first, from ${chained}`);
  }
  writeFileSync(hook, hookScript(), { mode: 0o755 });
  chmodSync(hook, 0o755);
  return [`installed the Switchboard pre-commit hook in ${hook}`, ...notes];
}

function uninstall(repo: string): string[] {
  const dir = hooksDir(repo);
  const hook = join(dir, 'pre-commit');
  const chained = join(dir, CHAINED);
  if (!isOurs(hook)) return [`no Switchboard pre-commit hook in ${dir}; nothing changed`];
  rmSync(hook);
  if (existsSync(chained)) {
    renameSync(chained, hook);
    return [`removed the Switchboard pre-commit hook; restored your earlier hook at ${hook}`];
  }
  return [`removed the Switchboard pre-commit hook from ${hook}`];
}

interface PathCheck {
  path: string;
  blocked: boolean;
  leases: Array<{ holder: string; mode: string; pattern: string; expires_at: string; reason: string | null }>;
}

/** The hook itself: exit REFUSED with a reason when a staged path is blocked, else 0. */
async function check(repo: string): Promise<number> {
  const staged = git(repo, ['diff', '--cached', '--name-only', '-z', '--no-renames', '--diff-filter=ACDMRT'])
    .split('\0')
    .filter(Boolean);
  if (staged.length === 0) return 0;
  const warn = (why: string) => {
    process.stderr.write(`switchboard: lease check skipped (${why}); committing anyway\n`);
    return 0;
  };
  const { client, identity, url } = connect({});
  if (identity !== 'agent')
    return warn('SWITCHBOARD_TOKEN is not set, so the hook does not know which agent you are');
  const blocked: PathCheck[] = [];
  try {
    for (let i = 0; i < staged.length; i += CHECK_BATCH) {
      const paths = staged.slice(i, i + CHECK_BATCH);
      const answer = (await client.call('check_paths', { paths }, { timeoutMs: 10_000 })) as {
        paths: PathCheck[];
      };
      blocked.push(...answer.paths.filter((p) => p.blocked));
    }
  } catch (err) {
    return warn(`the hub at ${url} did not answer: ${(err as Error).message}`);
  }
  if (blocked.length === 0) return 0;
  const holders = new Map<string, string[]>();
  for (const p of blocked) {
    for (const l of p.leases.filter((x) => x.mode === 'exclusive')) {
      const key = `${l.holder} (lease on ${l.pattern} until ${l.expires_at}${l.reason ? `: ${l.reason}` : ''})`;
      holders.set(key, [...(holders.get(key) ?? []), p.path]);
    }
  }
  const lines = ['switchboard: commit refused: staged paths are leased exclusively by another agent'];
  for (const [holder, paths] of holders) lines.push(`  ${holder}:`, ...paths.map((p) => `    ${p}`));
  lines.push('Ask the holder to release the lease, wait for it to expire, or unstage these paths.');
  process.stderr.write(`${lines.join('\n')}\n`);
  return REFUSED;
}

export function registerHooks(program: Command): void {
  const hooks = program.command('hooks').description('Git hooks that respect file leases');
  const repoOption = (c: Command) =>
    usageExits(c.option('--repo <dir>', 'the git repository (default: the current directory)'));
  repoOption(
    hooks.command('install').description('Install a pre-commit hook refusing commits on paths others lease'),
  ).action(
    action(async (options: { repo?: string }) => {
      for (const line of install(resolve(options.repo ?? '.'))) process.stdout.write(`${line}\n`);
    }),
  );
  repoOption(
    hooks.command('uninstall').description('Remove the pre-commit hook (restoring one it kept)'),
  ).action(
    action(async (options: { repo?: string }) => {
      for (const line of uninstall(resolve(options.repo ?? '.'))) process.stdout.write(`${line}\n`);
    }),
  );
  repoOption(
    hooks.command('check').description('What the hook runs: check the staged paths against leases'),
  ).action(
    action(async (options: { repo?: string }) => {
      process.exitCode = await check(resolve(options.repo ?? '.'));
    }),
  );
}
