/**
 * Every child process the benchmark starts is registered here, so that it is stopped whatever
 * happens: a normal end, a thrown error, SIGINT/SIGTERM, or the global watchdog firing.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

const live = new Set<ChildProcess>();
const dirs = new Set<string>();
let installed = false;

export function track(child: ChildProcess): void {
  install();
  live.add(child);
  child.once('exit', () => live.delete(child));
}

export function untrack(child: ChildProcess): void {
  live.delete(child);
}

/** A temporary directory to delete on exit if nobody has removed it by then. */
export function trackDir(dir: string): void {
  install();
  dirs.add(dir);
}

export function removeDir(dir: string): void {
  dirs.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}

/** Synchronous last resort: SIGKILL whatever is still running (each child by its own pid), remove temp dirs. */
export function killAllNow(): void {
  for (const child of live) {
    try {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  live.clear();
  for (const dir of dirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
  dirs.clear();
}

/** Ask a child to stop (SIGTERM), wait up to `graceMs`, then SIGKILL it. Resolves once it has exited. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    untrack(child);
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    try {
      child.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }, graceMs);
  await exited;
  clearTimeout(timer);
  untrack(child);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping child processes\n`);
      killAllNow();
      process.exit(130);
    });
  }
}

/** Kills every child and exits if the whole run takes longer than `ms`. */
export function watchdog(ms: number): NodeJS.Timeout {
  const timer = setTimeout(() => {
    process.stderr.write(
      `\nbench: watchdog fired after ${Math.round(ms / 1000)} s, stopping child processes\n`,
    );
    killAllNow();
    process.exit(2);
  }, ms);
  timer.unref();
  return timer;
}
