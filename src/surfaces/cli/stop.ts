/**
 * `switchboard stop`: stops the hub running on a data directory, however it was started (`serve`, or
 * in the background by `mcp` / `connect`): reads its lock, sends SIGTERM, waits until it has exited.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { HubError } from '../../core/errors.js';
import { sleep } from '../../core/time.js';
import { probeHubLock } from '../../store/lock/hub-lock.js';
import { processAlive } from '../../store/lock/process-alive.js';
import { printJson } from './output.js';
import { action, usageExits } from './run.js';
import { flagsToConfig, type ServeFlags } from './serve.js';

interface StopFlags extends ServeFlags {
  timeout?: string;
  json?: boolean;
}

export interface Stopped {
  pid: number;
  url: string | null;
  home: string;
}

function signal(pid: number): void {
  try {
    process.kill(pid, 'SIGTERM');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return; // exited meanwhile
    if (code === 'EPERM')
      throw new HubError('forbidden', `Not allowed to signal the hub (pid ${pid}): it runs as another user`);
    throw err;
  }
}

/** Stops the hub on `home` and resolves once it has exited (its lock is free and its process gone). */
export async function stopHub(home: string, timeoutMs: number): Promise<Stopped> {
  const state = probeHubLock(home);
  if (!state.running) {
    throw new HubError('not_found', `No hub is running on data directory ${home}`, {
      details: { home, lock_file: state.site.lockFile },
    });
  }
  if (!state.holder) {
    throw new HubError(
      'conflict',
      `A hub holds ${state.site.lockFile} but ${state.site.pidFile} names no live process yet (it may be starting); try again in a moment`,
    );
  }
  const { pid, url } = state.holder;
  signal(pid);
  const deadline = Date.now() + timeoutMs;
  while (processAlive(pid) || probeHubLock(home).running) {
    if (Date.now() > deadline) {
      throw new HubError(
        'timeout',
        `The hub (pid ${pid}) did not exit within ${timeoutMs / 1000} s of SIGTERM; it may still be stopping ` +
          `its instances. Wait, or force it with \`kill -9 ${pid}\` (the next hub cleans up what it left)`,
      );
    }
    await sleep(100);
  }
  return { pid, url: url ?? null, home };
}

export function registerStop(program: Command): void {
  const cmd = program
    .command('stop')
    .description('Stop the hub running on the data directory (started by serve, mcp or connect)')
    .option('--home <dir>', 'data directory')
    .option('--config <file>', 'JSON config file')
    .option('--timeout <seconds>', 'how long to wait for the hub to exit (default 30)')
    .option('--json', 'print machine-readable JSON');
  usageExits(cmd);
  cmd.action(
    action(async (flags: StopFlags) => {
      const timeout = flags.timeout === undefined ? 30 : Number(flags.timeout);
      if (!Number.isFinite(timeout) || timeout <= 0) {
        throw new HubError('invalid_input', '--timeout must be a positive number of seconds');
      }
      const config = loadConfig({ file: flags.config, flags: flagsToConfig(flags) });
      const stopped = await stopHub(config.home, timeout * 1000);
      if (flags.json) return printJson({ stopped });
      process.stdout.write(
        `stopped the hub${stopped.url ? ` at ${stopped.url}` : ''} (pid ${stopped.pid})\n`,
      );
    }),
  );
}
