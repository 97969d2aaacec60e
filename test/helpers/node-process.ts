/**
 * A hub node as its own process: `switchboard serve --db <url> --home <dir>`, for cluster tests where
 * a node must really die (SIGKILL). The environment is this process's without any SWITCHBOARD_* or
 * LOG_LEVEL setting (plus `env`), so the node takes only what the test gives it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { BIN } from './cli.js';

export interface NodeProcess {
  proc: ChildProcess;
  /** Its base URL, once it listens. */
  url: string;
}

export interface NodeProcessOptions {
  db: string;
  home: string;
  /** 0 (the default): any free port. */
  port?: number;
  /** A config file (`--config`). */
  config?: string;
  env?: Record<string, string>;
  /** Called with the child at once, before it listens (so a test can always clean it up). */
  track?: (proc: ChildProcess) => void;
}

export function startNodeProcess(o: NodeProcessOptions): Promise<NodeProcess> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('SWITCHBOARD_') && k !== 'LOG_LEVEL') env[k] = v;
  Object.assign(env, o.env);
  const args = [
    BIN,
    'serve',
    '--port',
    String(o.port ?? 0),
    '--home',
    o.home,
    '--db',
    o.db,
    '--log-level',
    'warn',
  ];
  if (o.config) args.push('--config', o.config);
  const proc = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  o.track?.(proc);
  let err = '';
  proc.stderr!.on('data', (d) => (err += String(d)));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the node did not start; stderr: ${err}`)), 20_000);
    proc.stdout!.on('data', (d) => {
      out += String(d);
      const m = /switchboard listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[1]! });
      }
    });
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the node exited before listening (${code ?? signal}); stderr: ${err}`));
    });
  });
}
