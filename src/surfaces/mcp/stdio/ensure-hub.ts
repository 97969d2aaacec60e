/**
 * A running hub for the stdio bridge: if none answers /health at the URL and the URL is on this
 * machine, start `switchboard serve` detached in the background (logging to <home>/hub.log; the hub
 * writes its pid to <home>/hub.pid) and wait until it answers. When a hub already runs on this data
 * directory at another URL, say so instead of starting a second one (which would refuse anyway).
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isLoopback } from '../../../config/schema.js';
import { HubError } from '../../../core/errors.js';
import { homeSite, probeHubLock } from '../../../store/lock/hub-lock.js';
import { type HubHolder, readPidFile } from '../../../store/lock/pid-file.js';
import { cliEntry } from './cli-entry.js';

const START_TIMEOUT_MS = 20_000;

export async function hubAnswers(url: string, timeoutMs = 1500): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return false;
    const body = (await res.json()) as { status?: string };
    return body.status === 'ok';
  } catch {
    return false;
  }
}

export interface EnsureHubOptions {
  /** The data directory: the started hub's log goes to <home>/hub.log. */
  home: string;
  env?: NodeJS.ProcessEnv;
  /** Called just before a hub is started in the background. */
  onStart?: (start: { url: string; home: string; logFile: string }) => void;
}

export interface StartedHub {
  logFile: string;
  /** The started hub's process id (from its pid file). */
  pid?: number;
}

/** The hub that holds this data directory's lock, when it is not the one at `url`. */
function otherHub(url: string, home: string): HubHolder | undefined {
  const state = probeHubLock(home);
  if (!state.running || !state.holder?.url || state.holder.url === url) return undefined;
  return state.holder;
}

function elsewhere(url: string, home: string, holder: HubHolder): HubError {
  return new HubError(
    'unavailable',
    `No hub answers at ${url}, but the hub of data directory ${home} runs at ${holder.url} ` +
      `(pid ${holder.pid}); set SWITCHBOARD_URL=${holder.url}, or stop that hub with ` +
      `\`switchboard stop --home ${home}\` to have one started at ${url}`,
    { details: { url: holder.url, pid: holder.pid, home } },
  );
}

/** The last non-empty line of a file (its last 4 KiB), for an error message. */
function lastLine(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = statSync(file).size;
    const buf = Buffer.alloc(Math.min(size, 4096));
    readSync(fd, buf, 0, buf.length, size - buf.length);
    return buf
      .toString('utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .pop();
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The hub of this data directory runs at `url` (it holds the lock) but did not answer /health in time:
 * a busy machine. Starting another would only be refused, so this waits for it: true once it answers,
 * false if it let go of the data directory meanwhile (then one may be started).
 */
async function heldHubAnswers(url: string, home: string, holder: HubHolder): Promise<boolean> {
  const started = Date.now();
  while (Date.now() - started < START_TIMEOUT_MS) {
    if (await hubAnswers(url, 5000)) return true;
    if (!probeHubLock(home).running) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new HubError(
    'unavailable',
    `The hub at ${url} (pid ${holder.pid}) runs but did not answer /health within ${START_TIMEOUT_MS / 1000} s`,
  );
}

/** Resolves once a hub answers at `url`; returns the log file (and pid) when it started one. */
export async function ensureHub(url: string, opts: EnsureHubOptions): Promise<StartedHub | undefined> {
  if (await hubAnswers(url)) return undefined;
  const target = new URL(url);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  if (!isLoopback(host)) {
    throw new HubError(
      'unavailable',
      `No hub answers at ${url}, and it is not on this machine; start it there or fix SWITCHBOARD_URL`,
    );
  }
  const lock = probeHubLock(opts.home);
  if (lock.running && lock.holder?.url === url && (await heldHubAnswers(url, opts.home, lock.holder)))
    return undefined;
  const running = otherHub(url, opts.home);
  if (running) throw elsewhere(url, opts.home, running);
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  mkdirSync(opts.home, { recursive: true });
  const logFile = join(opts.home, 'hub.log');
  opts.onStart?.({ url, home: opts.home, logFile });
  const log = openSync(logFile, 'a');
  let exited: string | undefined;
  try {
    const child = spawn(process.execPath, [cliEntry(), 'serve', '--host', host, '--port', port], {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...(opts.env ?? process.env), SWITCHBOARD_HOME: opts.home },
    });
    child.once('exit', (code, signal) => {
      exited = signal ? `signal ${signal}` : `exit code ${code}`;
    });
    child.once('error', (err) => {
      exited = err.message;
    });
    child.unref();
  } finally {
    closeSync(log);
  }
  const started = Date.now();
  while (Date.now() - started < START_TIMEOUT_MS) {
    if (await hubAnswers(url, 1000)) return { logFile, pid: readPidFile(homeSite(opts.home).pidFile)?.pid };
    if (exited) {
      // Our child gave up: another hub won this data directory. Wait for it if it is the one at
      // `url` (another bridge started it), else name it.
      const state = probeHubLock(opts.home);
      if (state.running && state.holder?.url && state.holder.url !== url) {
        throw elsewhere(url, opts.home, state.holder);
      }
      if (!state.running && Date.now() - started > 3000) {
        const why = lastLine(logFile);
        throw new HubError(
          'unavailable',
          `The background hub did not start (${exited}${why ? `: ${why}` : ''}); see ${logFile}`,
        );
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new HubError(
    'unavailable',
    `No hub answered at ${url} within ${START_TIMEOUT_MS / 1000} s after starting one; see ${logFile}`,
  );
}
