/** Runs the real `switchboard` command (bin/switchboard.js, built) as a child process, for CLI tests. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'switchboard.js');

export interface CliRun {
  /** The exit code (null when a signal ended it, e.g. the timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `switchboard <args>` with exactly `env` (plus PATH), stdin closed; resolves when it exits. Killed
 * after `timeoutMs` (default 30 s) so a hung command fails its test instead of the whole run.
 */
export function runCli(
  args: string[],
  env: Record<string, string | undefined>,
  opts: { timeoutMs?: number } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
