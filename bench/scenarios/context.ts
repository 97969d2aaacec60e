/**
 * (f) Shared context latency over REST with keep-alive: `set_context` (PUT) and `get_context` (GET)
 * of a ~100-byte JSON value, one call at a time (latency); then `set_context` throughput: one writer
 * back to back (the reference), and 16 writers in flight on 16 keys (concurrent calls share SQLite's
 * group commit), measured in the same repetition, with their ratio. Runs on its own hub child process.
 * With `compareBin`, a hub of that build runs the same repetitions interleaved with this one's (A/B:
 * sets/s, hub CPU per set and the ratio of each, other ÷ this). The floor
 * (bench/scenarios/context-floor-server.ts: bare `node:http` and a SQLite WAL upsert per set, group
 * committed per event-loop turn) takes the same one-writer and 16-in-flight clients in the same,
 * interleaved repetitions: the ratio the aim asks for where the server does next to nothing.
 */
import { mkdtempSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeDir, trackDir } from '../lib/children.js';
import { startFloorServer } from '../lib/floor.js';
import { cpuSecondsFine, type HubProcess, registerAgent, startHub } from '../lib/hub.js';
import { median, medianOf, round, summarize } from '../lib/stats.js';

type Stats = ReturnType<typeof summarize>;

export interface ContextRep {
  set: Stats;
  get: Stats;
  /** One writer, sets back to back (no reads between): the same repetition's reference. */
  oneWriterPerSec: number;
  concurrentSet: Stats & { perSec: number };
  /** concurrentSet.perSec ÷ oneWriterPerSec. */
  ratio: number;
  /** The hub's CPU time (user + system) per set, µs: steadier than sets/s on a busy machine. */
  oneWriterCpuUs: number;
  concurrentCpuUs: number;
  /** The bench client's own CPU per set (µs; node:http, keep-alive): it shares the machine's cores with the hub. */
  oneWriterClientCpuUs: number;
  concurrentClientCpuUs: number;
  /** One writer's mean round trip (µs): the latency that bounds it (the hub idles between calls). */
  oneWriterRoundTripUs: number;
}

/** The floor's repetition: the same one writer and 16 in flight as the hub's; CPU is the floor server's. */
export interface ContextFloorRep {
  oneWriterPerSec: number;
  concurrentPerSec: number;
  concurrentP50: number;
  concurrentP99: number;
  /** concurrentPerSec ÷ oneWriterPerSec. */
  ratio: number;
  oneWriterCpuUs: number;
  concurrentCpuUs: number;
  oneWriterClientCpuUs: number;
  concurrentClientCpuUs: number;
  oneWriterRoundTripUs: number;
}

export interface ContextFloorResult {
  reps: ContextFloorRep[];
  median: ContextFloorRep;
  /** Per repetition, the hub's figure ÷ the floor's (same repetition): 16-in-flight CPU per set, one writer's round trip. */
  hubCpuRatios: number[];
  hubRoundTripRatios: number[];
}

export interface ContextResult {
  calls: number;
  reps: ContextRep[];
  median?: {
    setP50: number;
    setP99: number;
    getP50: number;
    getP99: number;
    concurrentSetP50: number;
    concurrentSetP99: number;
    concurrentSetPerSec: number;
    oneWriterSetPerSec: number;
    oneWriterCpuUs: number;
    concurrentCpuUs: number;
    oneWriterClientCpuUs: number;
    concurrentClientCpuUs: number;
    oneWriterRoundTripUs: number;
    /** Median of the per-repetition ratios (16 in flight ÷ one writer). */
    concurrentRatio: number;
  };
  /** --compare-bin: the other build's result from the same, interleaved repetitions. */
  other?: Omit<ContextResult, 'other' | 'floor' | 'floorError'> & { bin: string };
  /** The floor (context-floor-server.ts) with the same clients, interleaved with the hub's repetitions. */
  floor?: ContextFloorResult;
  /** Why the floor is missing or stopped early (the section goes on without it). */
  floorError?: string;
  error?: string;
}

const VALUE = { note: 'x'.repeat(60), step: 0, files: ['src/a.ts', 'src/b.ts'] };

// node:http with a keep-alive agent, not fetch: fetch (undici behind WHATWG streams) spent more CPU
// per call than the hub did (~900-1400 µs against ~600 µs on the 2-core bench machine), and the
// client shares the cores with the hub, so it bounded the 16-in-flight figure. Both the one-writer
// reference and the 16 in flight use this client (bench/README.md, section (f)).
const agents = new Map<string, Agent>();

function agentFor(url: string): Agent {
  let agent = agents.get(url);
  if (!agent) {
    agent = new Agent({ keepAlive: true, maxSockets: 16 });
    agents.set(url, agent);
  }
  return agent;
}

async function call(
  url: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<number> {
  const started = performance.now();
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string | number> = { authorization: `Bearer ${token}` };
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = Buffer.byteLength(payload);
  }
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(url + path, { method, headers, agent: agentFor(url) }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
  if (status !== 200) throw new Error(`${method} ${path}: HTTP ${status} ${text.slice(0, 200)}`);
  return performance.now() - started;
}

/** `calls` sets over 16 keys with 16 calls in flight; each call's latency (ms). Also the --profile workload. */
export async function concurrentSets(hub: HubProcess, token: string, calls: number): Promise<number[]> {
  const concurrent: number[] = [];
  const lanes = 16;
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      for (let i = lane; i < calls; i += lanes) {
        concurrent.push(
          await call(hub.url, token, 'PUT', `/api/v1/context/global/bench-lane-${lane}`, {
            value: { ...VALUE, step: i },
          }),
        );
      }
    }),
  );
  return concurrent;
}

async function rep(hub: HubProcess, token: string, calls: number): Promise<ContextRep> {
  const sets: number[] = [];
  const gets: number[] = [];
  for (let i = 0; i < calls; i++) {
    sets.push(
      await call(hub.url, token, 'PUT', '/api/v1/context/global/bench-key', { value: { ...VALUE, step: i } }),
    );
    gets.push(await call(hub.url, token, 'GET', '/api/v1/context/global/bench-key'));
  }
  const t = await throughput(hub, token, calls);
  return {
    set: summarize(sets),
    get: summarize(gets),
    oneWriterPerSec: t.oneWriterPerSec,
    concurrentSet: { ...summarize(t.concurrent), perSec: t.concurrentPerSec },
    ratio: t.ratio,
    oneWriterCpuUs: t.oneWriterCpuUs,
    concurrentCpuUs: t.concurrentCpuUs,
    oneWriterClientCpuUs: t.oneWriterClientCpuUs,
    concurrentClientCpuUs: t.concurrentClientCpuUs,
    oneWriterRoundTripUs: t.oneWriterRoundTripUs,
  };
}

/**
 * One writer back to back (the reference), then 16 in flight, on the same server and moment: sets/s,
 * the server's and this client's CPU per set of each, one writer's mean round trip.
 */
async function throughput(server: HubProcess, token: string, calls: number) {
  let started = performance.now();
  let cpu = cpuSecondsFine(server.pid);
  let self = process.cpuUsage();
  for (let i = 0; i < calls; i++) {
    await call(server.url, token, 'PUT', '/api/v1/context/global/bench-one', {
      value: { ...VALUE, step: i },
    });
  }
  const oneWriterMs = performance.now() - started;
  const oneWriterPerSec = calls / (oneWriterMs / 1000);
  const oneWriterCpuUs = ((cpuSecondsFine(server.pid) - cpu) * 1e6) / calls;
  const oneWriterClientCpuUs = clientUs(self) / calls;
  started = performance.now();
  cpu = cpuSecondsFine(server.pid);
  self = process.cpuUsage();
  const concurrent = await concurrentSets(server, token, calls);
  const perSec = concurrent.length / ((performance.now() - started) / 1000);
  const concurrentCpuUs = ((cpuSecondsFine(server.pid) - cpu) * 1e6) / concurrent.length;
  const concurrentClientCpuUs = clientUs(self) / concurrent.length;
  return {
    concurrent,
    oneWriterPerSec: round(oneWriterPerSec, 0),
    concurrentPerSec: round(perSec, 0),
    ratio: round(perSec / oneWriterPerSec),
    oneWriterCpuUs: round(oneWriterCpuUs, 0),
    concurrentCpuUs: round(concurrentCpuUs, 0),
    oneWriterClientCpuUs: round(oneWriterClientCpuUs, 0),
    concurrentClientCpuUs: round(concurrentClientCpuUs, 0),
    oneWriterRoundTripUs: round((oneWriterMs * 1000) / calls, 0),
  };
}

async function floorRep(floor: HubProcess, token: string, calls: number): Promise<ContextFloorRep> {
  const { concurrent, ...t } = await throughput(floor, token, calls);
  const s = summarize(concurrent);
  return { ...t, concurrentP50: s.p50, concurrentP99: s.p99 };
}

/** The floor server on a SQLite file in a temporary directory of the bench's (removed on every exit path). */
async function startContextFloor(): Promise<HubProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-context-floor-'));
  trackDir(dir);
  try {
    const floor = await startFloorServer('context-floor-server.js', [join(dir, 'floor.db')]);
    return {
      ...floor,
      home: dir,
      stop: async () => {
        await floor.stop();
        removeDir(dir);
      },
    };
  } catch (err) {
    removeDir(dir);
    throw err;
  }
}

function clientUs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return d.user + d.system;
}

function medians(reps: ContextRep[]): ContextResult['median'] {
  const m = (pick: (r: ContextRep) => number, digits?: number) => round(medianOf(reps, pick), digits);
  return {
    setP50: m((r) => r.set.p50),
    setP99: m((r) => r.set.p99),
    getP50: m((r) => r.get.p50),
    getP99: m((r) => r.get.p99),
    concurrentSetP50: m((r) => r.concurrentSet.p50),
    concurrentSetP99: m((r) => r.concurrentSet.p99),
    concurrentSetPerSec: m((r) => r.concurrentSet.perSec, 0),
    oneWriterSetPerSec: m((r) => r.oneWriterPerSec, 0),
    concurrentRatio: m((r) => r.ratio),
    oneWriterCpuUs: m((r) => r.oneWriterCpuUs, 0),
    concurrentCpuUs: m((r) => r.concurrentCpuUs, 0),
    oneWriterClientCpuUs: m((r) => r.oneWriterClientCpuUs, 0),
    concurrentClientCpuUs: m((r) => r.concurrentClientCpuUs, 0),
    oneWriterRoundTripUs: m((r) => r.oneWriterRoundTripUs, 0),
  };
}

function floorMedians(reps: ContextFloorRep[]): ContextFloorRep {
  const m = (pick: (r: ContextFloorRep) => number, digits = 0) => round(medianOf(reps, pick), digits);
  return {
    oneWriterPerSec: m((r) => r.oneWriterPerSec),
    concurrentPerSec: m((r) => r.concurrentPerSec),
    concurrentP50: m((r) => r.concurrentP50, 3),
    concurrentP99: m((r) => r.concurrentP99, 3),
    ratio: m((r) => r.ratio, 2),
    oneWriterCpuUs: m((r) => r.oneWriterCpuUs),
    concurrentCpuUs: m((r) => r.concurrentCpuUs),
    oneWriterClientCpuUs: m((r) => r.oneWriterClientCpuUs),
    concurrentClientCpuUs: m((r) => r.concurrentClientCpuUs),
    oneWriterRoundTripUs: m((r) => r.oneWriterRoundTripUs),
  };
}

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));

export async function runContextBench(
  opts: { quick: boolean; reps: number; compareBin?: string },
  log: (line: string) => void,
): Promise<ContextResult> {
  const calls = opts.quick ? 500 : 2000;
  const result: ContextResult = { calls, reps: [] };
  const otherReps: ContextRep[] = [];
  const floorReps: ContextFloorRep[] = [];
  const hubOfFloorRep: ContextRep[] = [];
  let hub: HubProcess | undefined;
  let other: HubProcess | undefined;
  let floor: HubProcess | undefined;
  let floorToken = '';
  const dropFloor = async (err: unknown) => {
    result.floorError = errText(err);
    log(`context floor failed, going on without it: ${result.floorError}`);
    await floor?.stop();
    floor = undefined;
  };
  try {
    hub = await startHub();
    const agent = await registerAgent(hub.url, 'bench-context');
    try {
      floor = await startContextFloor();
      floorToken = (await registerAgent(floor.url, 'bench-context')).token;
      // Warm-up: as many sets as the hub has served before its first throughput measurement (its
      // warm-up and a repetition's sets and gets); 200 left the floor's first repetition at up to 4×
      // the CPU per set of its later ones.
      for (let n = 0; n < 4; n++) await floorRep(floor, floorToken, calls);
    } catch (err) {
      await dropFloor(err);
    }
    let otherToken = '';
    if (opts.compareBin) {
      other = await startHub({ bin: opts.compareBin });
      otherToken = (await registerAgent(other.url, 'bench-context')).token;
      await rep(other, otherToken, Math.min(200, calls)); // warm-up
    }
    await rep(hub, agent.token, Math.min(200, calls)); // warm-up
    const line = (who: string, i: number, r: ContextRep) =>
      log(
        `context ${who}rep ${i + 1}: set p50 ${round(r.set.p50)} ms, get p50 ${round(r.get.p50)} ms, ` +
          `one writer ${r.oneWriterPerSec} sets/s (${r.oneWriterCpuUs} µs hub CPU/set), ` +
          `16 in flight ${r.concurrentSet.perSec} sets/s (${r.concurrentCpuUs} µs/set) (${r.ratio}×)`,
      );
    for (let i = 0; i < opts.reps; i++) {
      // Interleaved, the order alternating, so both builds and the floor see the same moments of a busy machine.
      const order = i % 2 === 0 ? ['this', 'other', 'floor'] : ['floor', 'other', 'this'];
      let floorOfRep: ContextFloorRep | undefined;
      for (const who of order) {
        if (who === 'this') {
          const r = await rep(hub, agent.token, calls);
          result.reps.push(r);
          line('', i, r);
        } else if (who === 'floor') {
          if (!floor) continue;
          try {
            const f = await floorRep(floor, floorToken, calls);
            floorOfRep = f;
            log(
              `context floor rep ${i + 1}: one writer ${f.oneWriterPerSec} sets/s (${f.oneWriterCpuUs} µs server CPU/set, ` +
                `round trip ${f.oneWriterRoundTripUs} µs), 16 in flight ${f.concurrentPerSec} sets/s (${f.concurrentCpuUs} µs/set) (${f.ratio}×)`,
            );
          } catch (err) {
            await dropFloor(err);
          }
        } else if (other) {
          const r = await rep(other, otherToken, calls);
          otherReps.push(r);
          line('(other build) ', i, r);
        }
      }
      if (floorOfRep) {
        floorReps.push(floorOfRep);
        hubOfFloorRep.push(result.reps[result.reps.length - 1]!);
      }
    }
    if (floorReps.length) {
      const per = (pick: (r: { concurrentCpuUs: number; oneWriterRoundTripUs: number }) => number) =>
        floorReps.map((f, i) => round(pick(hubOfFloorRep[i]!) / pick(f)));
      result.floor = {
        reps: floorReps,
        median: floorMedians(floorReps),
        hubCpuRatios: per((r) => r.concurrentCpuUs),
        hubRoundTripRatios: per((r) => r.oneWriterRoundTripUs),
      };
    }
    result.median = medians(result.reps);
    if (opts.compareBin)
      result.other = { bin: opts.compareBin, calls, reps: otherReps, median: medians(otherReps) };
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    log(`context failed: ${result.error}`);
  } finally {
    await hub?.stop();
    await other?.stop();
    await floor?.stop();
    for (const agent of agents.values()) agent.destroy();
    agents.clear();
  }
  return result;
}

export function renderContext(r: ContextResult): string {
  if (!r.median) return `(f) shared context: ${r.error ?? 'no result'}`;
  const m = r.median;
  return [
    `(f) shared context over REST, ${r.calls} calls per repetition, median of ${r.reps.length}`,
    `    set_context, one at a time      p50 ${m.setP50} ms   p99 ${m.setP99} ms`,
    `    get_context, one at a time      p50 ${m.getP50} ms   p99 ${m.getP99} ms`,
    `    set_context, 16 in flight       p50 ${m.concurrentSetP50} ms   p99 ${m.concurrentSetP99} ms   ${m.concurrentSetPerSec} sets/s`,
    `    set_context throughput          16 in flight ${m.concurrentSetPerSec} sets/s = ${m.concurrentRatio}× one writer back to back (${m.oneWriterSetPerSec} sets/s, same run; aim ≥ 5×)`,
    `    hub CPU per set                 one writer ${m.oneWriterCpuUs} µs   16 in flight ${m.concurrentCpuUs} µs`,
    `    client CPU per set              one writer ${m.oneWriterClientCpuUs} µs   16 in flight ${m.concurrentClientCpuUs} µs`,
    `    one writer's round trip         ${m.oneWriterRoundTripUs} µs = ${round(m.oneWriterRoundTripUs / m.concurrentCpuUs)}× the hub CPU per set at 16 in flight (the most the ratio could reach with the hub alone on a core)`,
    `                                    ${cpuShare(m.oneWriterClientCpuUs, m.oneWriterCpuUs, m.oneWriterRoundTripUs)}`,
    ...floorLines(r),
    ...compareLines(r),
  ].join('\n');
}

/** How much of one writer's round trip is CPU (the client's and the server's, one after the other), not waiting. */
function cpuShare(clientUs: number, serverUs: number, roundTripUs: number): string {
  return (
    `of which client + server CPU per set ${clientUs} + ${serverUs} µs = ${Math.round(((clientUs + serverUs) / roundTripUs) * 100)}%, ` +
    'the rest wake-ups and runqueue waits (no disk or network wait that 16 in flight could overlap)'
  );
}

/** The floor's medians, same clients and repetitions; its bound next to the hub's. */
function floorLines(r: ContextResult): string[] {
  const f = r.floor;
  if (!f) return r.floorError ? [`    floor (bare HTTP+SQLite)        failed: ${r.floorError}`] : [];
  const m = f.median;
  return [
    `    floor (bare HTTP+SQLite)        one writer ${m.oneWriterPerSec} sets/s   16 in flight ${m.concurrentPerSec} sets/s (p50 ${m.concurrentP50} ms) = ${m.ratio}× ` +
      `(per rep ${f.reps.map((x) => x.ratio).join(', ')})`,
    `    floor server CPU per set        one writer ${m.oneWriterCpuUs} µs   16 in flight ${m.concurrentCpuUs} µs   (client one writer ${m.oneWriterClientCpuUs} µs, 16 in flight ${m.concurrentClientCpuUs} µs)`,
    `    floor's round trip              ${m.oneWriterRoundTripUs} µs = ${round(m.oneWriterRoundTripUs / m.concurrentCpuUs)}× its CPU per set at 16 in flight (its bound, as above), ` +
      `${round(m.oneWriterRoundTripUs / Math.max(m.concurrentCpuUs, m.concurrentClientCpuUs))}× the larger of its and the client's (client and floor each on a core of their own)`,
    `                                    ${cpuShare(m.oneWriterClientCpuUs, m.oneWriterCpuUs, m.oneWriterRoundTripUs)}`,
    `    hub ÷ floor, per rep            CPU per set at 16 in flight ×${round(median(f.hubCpuRatios))} (${f.hubCpuRatios.join(', ')}), ` +
      `one writer's round trip ×${round(median(f.hubRoundTripRatios))} (${f.hubRoundTripRatios.join(', ')})`,
    '    floor: bench/scenarios/context-floor-server.ts, node:http + one SQLite WAL upsert per set, group commit per event-loop turn, same clients',
  ];
}

/** --compare-bin: the other build's medians and, per figure, the median of per-repetition ratios (other ÷ this). */
function compareLines(r: ContextResult): string[] {
  const o = r.other;
  if (!o?.median || !r.median) return [];
  const m = o.median;
  const ratio = (pick: (x: ContextRep) => number) =>
    round(median(r.reps.slice(0, o.reps.length).map((x, i) => pick(o.reps[i]) / pick(x))), 2);
  return [
    `    other build (${o.bin}), same interleaved repetitions:`,
    `      one writer ${m.oneWriterSetPerSec} sets/s (${m.oneWriterCpuUs} µs/set)   16 in flight ${m.concurrentSetPerSec} sets/s (${m.concurrentCpuUs} µs/set)   ${m.concurrentRatio}×`,
    `      other ÷ this: one writer sets/s ×${ratio((x) => x.oneWriterPerSec)}, 16 in flight sets/s ×${ratio((x) => x.concurrentSet.perSec)}, ` +
      `hub CPU/set at 16 in flight ×${ratio((x) => x.concurrentCpuUs)}, one writer ×${ratio((x) => x.oneWriterCpuUs)}`,
  ];
}
