/**
 * (h) Instances: what the hub adds around a real agent process, with the scripted agent
 * (`switchboard agent --script`, Claude Code's stream-json protocol, no model) on its own hub child.
 *
 * 1. Spawn to ready. Bare: the scripted agent started directly, exactly as the hub's `scripted`
 *    adapter starts it (own process group, stream-json flags, a session id), an `initialize` control
 *    request written to its stdin, timed until its first stdout line. Hub: `POST /api/v1/instances`
 *    as the admin, timed until the answer, or, while the answer (or a later status) says `starting`,
 *    until `GET /api/v1/instances/:id` says `idle`. Also timed: the instance's first output event on
 *    the admin's SSE stream (the same moment as bare's first line, seen through the hub). Bare and hub
 *    runs alternate; the ratio is the median of per-pair ratios. Terminating is not timed.
 * 2. Message round trip: `POST /api/v1/instances/:id/send {message, wait: true}` to an echo instance
 *    until the completed answer, one at a time after a warm-up, against a plain `GET /health` on the
 *    same hub in the same rounds (a REST call with nothing behind it).
 * 3. Concurrent spawn: K instances spawned at once, wall time until all are ready and until all have
 *    written their first output event (repetitions after a warm-up).
 *
 * Every agent process (bare or the hub's) is killed by its process group on every exit path.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { removeDir, track, trackDir } from '../lib/children.js';
import { type HubProcess, repoRoot, startHub } from '../lib/hub.js';
import { median, medianOf, round, roundStats, sleep, summarize } from '../lib/stats.js';

type Stats = ReturnType<typeof summarize>;

/** The default script: every turn echoes its input. */
const SCRIPT = {};
const INITIALIZE = `${JSON.stringify({
  type: 'control_request',
  request_id: 'ready_1',
  request: { subtype: 'initialize' },
})}\n`;
const READY_TIMEOUT_MS = 30_000;

export interface SpawnPair {
  /** Bare: spawn → first stdout line. */
  bareMs: number;
  /** Hub: POST → answer. */
  hubAnswerMs: number;
  /** Hub: POST → ready (the answer, or polled status idle when the answer said starting). */
  hubReadyMs: number;
  /** The status the spawn answer carried. */
  answeredStatus: string;
  /** Hub: POST → the instance's first output event on the admin's SSE stream. */
  hubFirstOutputMs: number;
}

export interface ConcurrentRep {
  instances: number;
  /** Wall time from the first POST until every instance is ready. */
  allReadyMs: number;
  /** Wall time from the first POST until every instance's first output event. */
  allFirstOutputMs: number;
  /** Per-instance POST → ready. */
  readyMs: Stats;
}

export interface InstancesResult {
  pairs: number;
  rounds: number;
  concurrent: number;
  spawn?: {
    runs: SpawnPair[];
    median: {
      bareMs: number;
      hubAnswerMs: number;
      hubReadyMs: number;
      hubFirstOutputMs: number;
      /** Median of per-pair hub ready ÷ bare. */
      readyRatio: number;
      /** Median of per-pair hub first output ÷ bare. */
      firstOutputRatio: number;
      /** How many spawn answers said idle (ready) rather than starting. */
      answeredIdle: number;
    };
  };
  roundTrip?: {
    rounds: number;
    send: Stats;
    health: Stats;
    /** Rounds per second of the send loop (one at a time). */
    perSec: number;
    /** send p50 − health p50. */
    overheadP50Ms: number;
  };
  concurrentSpawn?: {
    reps: ConcurrentRep[];
    median: { allReadyMs: number; allFirstOutputMs: number; readyP50Ms: number; readyP99Ms: number };
  };
  error?: string;
}

// ---------------------------------------------------------------- process groups

/**
 * Process groups of agents this scenario started (bare, or the hub's from their spawn answers), until
 * seen ended. A synchronous `exit` handler SIGKILLs what is left (after an error, SIGINT or the
 * watchdog the hub may have been SIGKILLed and cannot stop its instances itself).
 */
const groups = new Set<number>();
/** Each hub instance's process group (its pid). */
const pidOf = new Map<string, number>();

/** SIGKILLs a group if its leader is still one of our scripted agents (pids get reused). */
function killGroupIfOurs(pgid: number): void {
  try {
    const cmdline = readFileSync(`/proc/${pgid}/cmdline`, 'utf8');
    if (!cmdline.includes('agent') || !cmdline.includes('--script')) return;
    process.kill(-pgid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

function killLeftovers(): void {
  for (const pgid of groups) killGroupIfOurs(pgid);
  groups.clear();
}

// ---------------------------------------------------------------- bare

function childEnvLikeHub(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['CLAUDECODE', 'CLAUDE_CODE_ENTRYPOINT', 'SWITCHBOARD_ADMIN_TOKEN']) delete env[name];
  return env;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** The scripted agent started directly: spawn → first stdout line (ms); then stdin closed, exit awaited. */
async function bareRun(bin: string, scriptFile: string, cwd: string): Promise<number> {
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      bin,
      'agent',
      '--script',
      scriptFile,
      '-p',
      '--output-format',
      'stream-json',
      '--input-format',
      'stream-json',
      '--verbose',
      '--session-id',
      randomUUID(),
    ],
    { cwd, env: childEnvLikeHub(), detached: true, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  track(child);
  const pgid = child.pid;
  if (pgid) groups.add(pgid);
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => (stderr = (stderr + c).slice(-2000)));
  child.stdin!.on('error', () => {});
  const gone = exited(child);
  try {
    child.stdin!.write(INITIALIZE);
    const lines = createInterface({ input: child.stdout! });
    const first = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`bare agent printed nothing within ${READY_TIMEOUT_MS} ms`)),
        READY_TIMEOUT_MS,
      );
      lines.once('line', () => {
        clearTimeout(timer);
        resolve(performance.now() - t0);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new Error(`bare agent exited (code ${code}, signal ${signal}) before a line: ${stderr.trim()}`),
        );
      });
    });
    lines.on('line', () => {}); // keep draining
    child.stdin!.end();
    const timer = setTimeout(() => pgid && killGroupIfOurs(pgid), 10_000);
    await gone;
    clearTimeout(timer);
    return first;
  } finally {
    if (pgid) {
      if (child.exitCode === null && child.signalCode === null) {
        killGroupIfOurs(pgid);
        await gone;
      }
      groups.delete(pgid);
    }
  }
}

// ---------------------------------------------------------------- hub

class Api {
  constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  async call<T>(method: string, path: string, body?: unknown, okStatus = [200, 201]): Promise<T> {
    const res = await fetch(this.url + path, {
      method,
      headers:
        body === undefined
          ? { authorization: `Bearer ${this.token}` }
          : { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!okStatus.includes(res.status))
      throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }
}

type InstanceAnswer = { instance_id: string; status: string; reason: string | null; pid: number | null };

/** The admin's SSE stream: when each instance's first `instance.output` event arrived. */
class FirstOutputs {
  private readonly seen = new Map<string, number>();
  private readonly waiters = new Map<string, Array<(at: number) => void>>();
  private readonly abort = new AbortController();

  static async open(url: string, token: string): Promise<FirstOutputs> {
    const w = new FirstOutputs();
    const res = await fetch(`${url}/api/v1/events`, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      signal: w.abort.signal,
    });
    if (res.status !== 200 || !res.body) throw new Error(`GET /api/v1/events: HTTP ${res.status}`);
    void w.read(res.body);
    return w;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        const now = performance.now();
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n');
          if (!data) continue;
          const event = JSON.parse(data) as { type?: string; instance_id?: string };
          if (event.type !== 'instance.output' || !event.instance_id) continue;
          if (this.seen.has(event.instance_id)) continue;
          this.seen.set(event.instance_id, now);
          for (const resolve of this.waiters.get(event.instance_id) ?? []) resolve(now);
          this.waiters.delete(event.instance_id);
        }
      }
    } catch {
      /* aborted */
    }
  }

  /** The performance.now() at which the instance's first output event arrived. */
  when(id: string, timeoutMs = READY_TIMEOUT_MS): Promise<number> {
    const at = this.seen.get(id);
    if (at !== undefined) return Promise.resolve(at);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no output event from ${id} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const list = this.waiters.get(id) ?? [];
      list.push((t) => {
        clearTimeout(timer);
        resolve(t);
      });
      this.waiters.set(id, list);
    });
  }

  close(): void {
    this.abort.abort();
  }
}

/** Spawns a scripted instance; resolves once it is ready (answer idle, or polled until idle). */
async function spawnReady(
  api: Api,
  name: string,
): Promise<{ id: string; t0: number; answerMs: number; readyMs: number; answeredStatus: string }> {
  const t0 = performance.now();
  const answer = await api.call<InstanceAnswer>('POST', '/api/v1/instances', {
    adapter: 'scripted',
    script: SCRIPT,
    name,
  });
  const answerMs = performance.now() - t0;
  const remember = (pid: number | null) => {
    if (!pid) return;
    groups.add(pid);
    pidOf.set(answer.instance_id, pid);
  };
  remember(answer.pid);
  let status = answer.status;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (status === 'starting') {
    if (Date.now() > deadline)
      throw new Error(`${answer.instance_id} still starting after ${READY_TIMEOUT_MS} ms`);
    await sleep(2);
    const now = await api.call<InstanceAnswer>('GET', `/api/v1/instances/${answer.instance_id}`);
    remember(now.pid);
    status = now.status;
    if (status !== 'starting' && status !== 'idle')
      throw new Error(`${answer.instance_id} became ${status} while starting: ${now.reason ?? ''}`);
  }
  if (status !== 'idle')
    throw new Error(`${answer.instance_id} spawned as ${status}: ${answer.reason ?? ''}`);
  return {
    id: answer.instance_id,
    t0,
    answerMs,
    readyMs: performance.now() - t0,
    answeredStatus: answer.status,
  };
}

async function terminate(api: Api, id: string): Promise<void> {
  const res = await api.call<{ terminated: Array<{ instance_id: string; status: string }> }>(
    'DELETE',
    `/api/v1/instances/${id}`,
  );
  const pid = pidOf.get(id);
  pidOf.delete(id);
  if (pid && res.terminated.every((t) => t.status === 'stopped' || t.status === 'failed')) groups.delete(pid);
}

// ---------------------------------------------------------------- scenario

export async function runInstancesBench(
  opts: { quick: boolean; reps: number },
  log: (line: string) => void,
): Promise<InstancesResult> {
  const pairs = opts.quick ? 4 : 10;
  const rounds = opts.quick ? 15 : 50;
  const concurrent = opts.quick ? 8 : 20;
  const result: InstancesResult = { pairs, rounds, concurrent };
  const root = repoRoot();
  const bin = join(root, 'bin/switchboard.js');
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-instances-'));
  trackDir(dir);
  const scriptFile = join(dir, 'script.json');
  writeFileSync(scriptFile, JSON.stringify(SCRIPT));
  process.on('exit', killLeftovers);
  let hub: HubProcess | undefined;
  let events: FirstOutputs | undefined;
  let api: Api | undefined;
  const live = new Set<string>();
  try {
    hub = await startHub({
      config: { instances: { maxConcurrent: Math.max(64, concurrent * 2) } },
    });
    const token = readFileSync(join(hub.home, 'admin-token'), 'utf8').trim();
    api = new Api(hub.url, token);
    const a = api;
    events = await FirstOutputs.open(hub.url, token);
    const ev = events;
    const hubOnce = async (name: string) => {
      const s = await spawnReady(a, name);
      live.add(s.id);
      const first = (await ev.when(s.id)) - s.t0;
      await terminate(a, s.id);
      live.delete(s.id);
      return { ...s, firstOutputMs: first };
    };

    // 1. spawn to ready, bare and through the hub, alternating (after one warm-up of each)
    await bareRun(bin, scriptFile, dir);
    await hubOnce('bench-warm');
    const runs: SpawnPair[] = [];
    for (let i = 0; i < pairs; i++) {
      const bareMs = await bareRun(bin, scriptFile, dir);
      const h = await hubOnce(`bench-spawn-${i}`);
      runs.push({
        bareMs: round(bareMs, 3),
        hubAnswerMs: round(h.answerMs, 3),
        hubReadyMs: round(h.readyMs, 3),
        answeredStatus: h.answeredStatus,
        hubFirstOutputMs: round(h.firstOutputMs, 3),
      });
      log(
        `instances spawn ${i + 1}: bare first line ${round(bareMs, 1)} ms, hub ready ${round(h.readyMs, 1)} ms ` +
          `(answered ${h.answeredStatus} in ${round(h.answerMs, 1)} ms), hub first output ${round(h.firstOutputMs, 1)} ms`,
      );
    }
    result.spawn = {
      runs,
      median: {
        bareMs: round(medianOf(runs, (r) => r.bareMs)),
        hubAnswerMs: round(medianOf(runs, (r) => r.hubAnswerMs)),
        hubReadyMs: round(medianOf(runs, (r) => r.hubReadyMs)),
        hubFirstOutputMs: round(medianOf(runs, (r) => r.hubFirstOutputMs)),
        readyRatio: round(median(runs.map((r) => r.hubReadyMs / r.bareMs)), 3),
        firstOutputRatio: round(median(runs.map((r) => r.hubFirstOutputMs / r.bareMs)), 3),
        answeredIdle: runs.filter((r) => r.answeredStatus === 'idle').length,
      },
    };

    // 2. message round trip against GET /health
    const echo = await spawnReady(a, 'bench-echo');
    live.add(echo.id);
    const send = async (message: string) => {
      const t0 = performance.now();
      const r = await a.call<{ status: string; text: string | null; failure: string | null }>(
        'POST',
        `/api/v1/instances/${echo.id}/send`,
        { message, wait: true },
      );
      const ms = performance.now() - t0;
      if (r.status !== 'completed' || r.text !== message)
        throw new Error(`send: ${r.status} ${r.failure ?? ''} text ${JSON.stringify(r.text)?.slice(0, 100)}`);
      return ms;
    };
    const health = async () => {
      const t0 = performance.now();
      await a.call('GET', '/health');
      return performance.now() - t0;
    };
    for (let i = 0; i < Math.min(10, rounds); i++) {
      await health();
      await send(`warm-up ${i}`);
    }
    const sends: number[] = [];
    const healths: number[] = [];
    for (let i = 0; i < rounds; i++) {
      healths.push(await health());
      sends.push(await send(`round ${i}: ${'x'.repeat(60)}`));
    }
    const sendStats = roundStats(summarize(sends));
    const healthStats = roundStats(summarize(healths));
    result.roundTrip = {
      rounds,
      send: sendStats,
      health: healthStats,
      perSec: round(sends.length / (sends.reduce((s, x) => s + x, 0) / 1000), 1),
      overheadP50Ms: round(sendStats.p50 - healthStats.p50, 3),
    };
    log(
      `instances round trip: send p50 ${round(sendStats.p50)} ms p99 ${round(sendStats.p99)} ms, ` +
        `GET /health p50 ${round(healthStats.p50)} ms, ${result.roundTrip.perSec} rounds/s`,
    );
    await terminate(a, echo.id);
    live.delete(echo.id);

    // 3. K spawns at once (a smaller warm-up first)
    const batch = async (k: number, tag: string): Promise<ConcurrentRep> => {
      const t0 = performance.now();
      const spawned = await Promise.all(
        Array.from({ length: k }, async (_, i) => {
          const s = await spawnReady(a, `bench-${tag}-${i}`);
          live.add(s.id);
          return s;
        }),
      );
      const allReadyMs = performance.now() - t0;
      const firsts = await Promise.all(spawned.map((s) => ev.when(s.id)));
      const allFirstOutputMs = Math.max(...firsts) - t0;
      await Promise.all(
        spawned.map(async (s) => {
          await terminate(a, s.id);
          live.delete(s.id);
        }),
      );
      return {
        instances: k,
        allReadyMs: round(allReadyMs, 3),
        allFirstOutputMs: round(allFirstOutputMs, 3),
        readyMs: roundStats(summarize(spawned.map((s) => s.readyMs))),
      };
    };
    await batch(Math.min(4, concurrent), 'warm');
    const reps: ConcurrentRep[] = [];
    for (let i = 0; i < opts.reps; i++) {
      const r = await batch(concurrent, `c${i}`);
      reps.push(r);
      log(
        `instances ${concurrent} at once rep ${i + 1}: all ready ${round(r.allReadyMs, 1)} ms, ` +
          `all first output ${round(r.allFirstOutputMs, 1)} ms`,
      );
    }
    result.concurrentSpawn = {
      reps,
      median: {
        allReadyMs: round(medianOf(reps, (r) => r.allReadyMs)),
        allFirstOutputMs: round(medianOf(reps, (r) => r.allFirstOutputMs)),
        readyP50Ms: round(medianOf(reps, (r) => r.readyMs.p50)),
        readyP99Ms: round(medianOf(reps, (r) => r.readyMs.p99)),
      },
    };
  } catch (err) {
    result.error = (err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 400);
    log(`instances failed: ${result.error}${hub ? `\n${hub.stderrTail().slice(-800)}` : ''}`);
  } finally {
    events?.close();
    if (api) {
      const a = api;
      await Promise.all([...live].map((id) => terminate(a, id).catch(() => {})));
    }
    await hub?.stop(); // the hub stops whatever instance is left on SIGTERM
    killLeftovers();
    process.off('exit', killLeftovers);
    removeDir(dir);
  }
  return result;
}

export function renderInstances(r: InstancesResult): string {
  const out: string[] = [];
  out.push(
    `(h) instances: scripted agent (stream-json, no model); spawn ${r.pairs} bare/hub pairs, ${r.rounds} round trips, ${r.concurrent} spawns at once`,
  );
  if (r.spawn) {
    const m = r.spawn.median;
    out.push(
      `    spawn → ready, bare (child process → first stdout line)      median ${m.bareMs} ms`,
      `    spawn → ready, hub (POST /api/v1/instances → idle)           median ${m.hubReadyMs} ms   x${m.readyRatio} bare` +
        `   (answer ${m.hubAnswerMs} ms; ${m.answeredIdle}/${r.spawn.runs.length} answered idle)`,
      `    spawn → first output event, hub (admin SSE)                  median ${m.hubFirstOutputMs} ms   x${m.firstOutputRatio} bare`,
    );
    if (m.hubReadyMs < m.bareMs / 2)
      out.push(
        '    note: the hub said idle long before its agent could have printed anything (it does not wait for the CLI);',
        '          the first output event is the figure comparable with bare',
      );
  }
  if (r.roundTrip) {
    const t = r.roundTrip;
    out.push(
      `    send_to_instance wait:true, echo turn                        p50 ${round(t.send.p50)} ms   p99 ${round(t.send.p99)} ms   ${t.perSec} rounds/s`,
      `    GET /health (baseline, same rounds)                          p50 ${round(t.health.p50)} ms   p99 ${round(t.health.p99)} ms   round trip − REST p50 ${round(t.overheadP50Ms)} ms`,
    );
  }
  if (r.concurrentSpawn) {
    const c = r.concurrentSpawn.median;
    out.push(
      `    ${r.concurrent} spawns at once: all ready ${c.allReadyMs} ms, all first output ${c.allFirstOutputMs} ms, ` +
        `per instance ready p50 ${c.readyP50Ms} ms p99 ${c.readyP99Ms} ms (median of ${r.concurrentSpawn.reps.length})`,
    );
  }
  if (r.error) out.push(`    FAILED: ${r.error}`);
  return out.join('\n');
}
