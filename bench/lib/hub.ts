/**
 * A hub as a real child process: `node bin/switchboard.js serve --port 0 --home <tmp> ...`, started
 * through `/bin/sh -c 'ulimit -n <hard>; exec node ...'` so its open-file limit is raised to the hard
 * limit (Node cannot call setrlimit itself) while keeping the same pid.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeDir, stopChild, track, trackDir } from './children.js';

/** The repository root: the nearest parent directory whose package.json is named "switchboard". */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'switchboard') return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the switchboard repository root from ' + fileURLToPath(import.meta.url));
}

export interface HubProcess {
  url: string;
  pid: number;
  home: string;
  child: ChildProcess;
  /** Last lines the hub wrote to stderr (for error messages). */
  stderrTail(): string;
  /** With `inspect: true`: the DevTools WebSocket URL of the hub (loopback). */
  inspectorUrl?: string;
  stop(): Promise<void>;
}

export interface StartHubOptions {
  /** Another build's `bin/switchboard.js` (A/B comparisons); default: this repository's. */
  bin?: string;
  /** Extra hub config merged over `{rateLimit:{enabled:false}}`. */
  config?: Record<string, unknown>;
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir', dir]. */
  nodeArgs?: string[];
  startTimeoutMs?: number;
  /** Start the hub with `--inspect=127.0.0.1:0` (for forced GC and exact heap figures). */
  inspect?: boolean;
  /** `--db`: a SQLite file or a `postgres://` URL (cluster mode); default: the home's SQLite file. */
  db?: string;
}

export async function startHub(opts: StartHubOptions = {}): Promise<HubProcess> {
  const root = repoRoot();
  const home = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
  trackDir(home);
  const configFile = join(home, 'bench-config.json');
  writeFileSync(configFile, JSON.stringify({ rateLimit: { enabled: false }, ...(opts.config ?? {}) }));
  const args = [
    ...(opts.inspect ? ['--inspect=127.0.0.1:0'] : []),
    ...(opts.nodeArgs ?? []),
    opts.bin ? resolve(opts.bin) : join(root, 'bin/switchboard.js'),
    'serve',
    '--port',
    '0',
    '--home',
    home,
    '--log-level',
    'warn',
    '--config',
    configFile,
    ...(opts.db ? ['--db', opts.db] : []),
  ];
  // "$0" "$@" passes the node path and its arguments through without any shell quoting.
  const child = spawn(
    '/bin/sh',
    ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"', process.execPath, ...args],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'warn' },
    },
  );
  track(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const cleanupHome = () => removeDir(home);

  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => fail(new Error(`hub did not print its URL within ${opts.startTimeoutMs ?? 20000} ms`)),
      opts.startTimeoutMs ?? 20000,
    );
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const m = /switchboard listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.off('exit', onExit);
        child.stdout!.resume(); // keep draining anything else it prints
        resolve(m[1]);
      }
    };
    const onExit = (code: number | null, signal: string | null) =>
      fail(
        new Error(
          `hub exited before listening (code ${code}, signal ${signal}): ${stderr.trim().slice(-1500)}`,
        ),
      );
    function fail(err: Error) {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      void stopChild(child, 1000).finally(cleanupHome);
      reject(err);
    }
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });

  let inspectorUrl: string | undefined;
  if (opts.inspect) {
    // Node prints "Debugger listening on ws://127.0.0.1:PORT/UUID" to stderr before running the hub.
    for (let i = 0; i < 100 && !inspectorUrl; i++) {
      inspectorUrl = /Debugger listening on (ws:\/\/\S+)/.exec(stderr)?.[1];
      if (!inspectorUrl) await new Promise((r) => setTimeout(r, 50));
    }
  }

  let stopped = false;
  return {
    url,
    pid: child.pid!,
    home,
    child,
    inspectorUrl,
    stderrTail: () => stderr,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopChild(child, 8000);
      cleanupHome();
    },
  };
}

/** Resident set size of a process, in bytes, from /proc/<pid>/status (VmRSS). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; fields after the closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / ticksPerSecond();
}

/**
 * CPU seconds a process's threads have run so far, from /proc/<pid>/task/<tid>/schedstat
 * (nanoseconds, where /proc/<pid>/stat counts 10 ms ticks): for CPU per operation over a few hundred
 * milliseconds. Threads that ended are not counted (the hub's and the peers' threads live as long as
 * they do). cpuSeconds where schedstat is unavailable.
 */
export function cpuSecondsFine(pid: number): number {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread ended between the listing and the read
      }
    }
    if (Number.isFinite(ns) && ns > 0) return ns / 1e9;
  } catch {
    // no /proc/<pid>/task: below
  }
  return cpuSeconds(pid);
}

/**
 * The hub's main (JavaScript) thread from /proc/<pid>/schedstat: nanoseconds on a CPU and nanoseconds
 * runnable but waiting for a CPU. On a shared 2-core machine the second one shows when the hub was
 * starved by other processes rather than limited by its own work. Undefined where unavailable.
 */
export function mainThreadSched(pid: number): { runNs: number; waitNs: number } | undefined {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    return Number.isFinite(run) && Number.isFinite(wait) ? { runNs: run, waitNs: wait } : undefined;
  } catch {
    return undefined;
  }
}

/** Measures CPU use (as % of one core) of the hub and of this process over an interval. */
export class CpuMeter {
  private readonly hub0: number;
  private readonly sched0: { runNs: number; waitNs: number } | undefined;
  private readonly self0 = process.cpuUsage();
  private readonly t0 = performance.now();

  constructor(private readonly hubPid: number) {
    this.hub0 = cpuSeconds(hubPid);
    this.sched0 = mainThreadSched(hubPid);
  }

  read(): { hubCpuPct: number; hubMainThreadPct: number; hubRunqueueWaitPct: number; clientCpuPct: number } {
    const wall = (performance.now() - this.t0) / 1000;
    const self = process.cpuUsage(this.self0);
    const sched = mainThreadSched(this.hubPid);
    const s0 = this.sched0;
    return {
      hubCpuPct: ((cpuSeconds(this.hubPid) - this.hub0) / wall) * 100,
      hubMainThreadPct: sched && s0 ? ((sched.runNs - s0.runNs) / 1e9 / wall) * 100 : Number.NaN,
      hubRunqueueWaitPct: sched && s0 ? ((sched.waitNs - s0.waitNs) / 1e9 / wall) * 100 : Number.NaN,
      clientCpuPct: ((self.user + self.system) / 1e6 / wall) * 100,
    };
  }
}

export interface Registered {
  id: string;
  token: string;
}

export async function registerAgent(url: string, name: string, project?: string): Promise<Registered> {
  const res = await fetch(`${url}/api/v1/agents/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(project ? { name, project } : { name }),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`register ${name}: HTTP ${res.status} ${text.slice(0, 300)}`);
  const body = JSON.parse(text) as { agent_id: string; token: string };
  return { id: body.agent_id, token: body.token };
}

/**
 * Registers `count` agents with at most `concurrency` requests in flight. With `perProject`, agents
 * go into projects of that many agents each (`<prefix>-p<k>`): registration answers with every peer
 * of the project, so thousands of agents in one project make registration quadratic.
 */
export async function registerMany(
  url: string,
  prefix: string,
  count: number,
  concurrency = 16,
  perProject?: number,
): Promise<Registered[]> {
  const out: Registered[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      out[i] = await registerAgent(
        url,
        `${prefix}-${i}`,
        perProject ? `${prefix}-p${Math.floor(i / perProject)}` : undefined,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return out;
}
