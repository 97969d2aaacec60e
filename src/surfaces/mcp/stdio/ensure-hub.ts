/**
 * A running hub for the stdio bridge: if none answers /health at the URL and the URL is on this
 * machine, start `switchboard serve` detached in the background (logging to <home>/hub.log, its pid in
 * <home>/hub.pid) and wait until it answers.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isLoopback } from '../../../config/schema.js';
import { HubError } from '../../../core/errors.js';
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
}

/** Resolves once a hub answers at `url`; returns the log file when it started one. */
export async function ensureHub(url: string, opts: EnsureHubOptions): Promise<string | undefined> {
  if (await hubAnswers(url)) return undefined;
  const target = new URL(url);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  if (!isLoopback(host)) {
    throw new HubError(
      'unavailable',
      `No hub answers at ${url}, and it is not on this machine; start it there or fix SWITCHBOARD_URL`,
    );
  }
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  mkdirSync(opts.home, { recursive: true });
  const logFile = join(opts.home, 'hub.log');
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
    if (child.pid) writeFileSync(join(opts.home, 'hub.pid'), `${child.pid}\n`);
  } finally {
    closeSync(log);
  }
  const started = Date.now();
  while (Date.now() - started < START_TIMEOUT_MS) {
    if (await hubAnswers(url, 1000)) return logFile;
    // Our child gave up (e.g. another bridge's hub won the port): allow that one a moment, then fail.
    if (exited && Date.now() - started > 3000) {
      throw new HubError('unavailable', `The background hub did not start (${exited}); see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new HubError(
    'unavailable',
    `No hub answered at ${url} within ${START_TIMEOUT_MS / 1000} s after starting one; see ${logFile}`,
  );
}
