/**
 * (f) Shared context latency over REST with keep-alive: `set_context` (PUT) and `get_context` (GET)
 * of a ~100-byte JSON value, one call at a time (latency); then `set_context` throughput: one writer
 * back to back (the reference), and 16 writers in flight on 16 keys (concurrent calls share SQLite's
 * group commit), measured in the same repetition, with their ratio. Runs on its own hub child process.
 * With `compareBin`, a hub of that build runs the same repetitions interleaved with this one's (A/B:
 * sets/s, hub CPU per set and the ratio of each, other ÷ this).
 */
import { Agent, request } from 'node:http';
import { cpuSeconds, type HubProcess, registerAgent, startHub } from '../lib/hub.js';
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
  other?: Omit<ContextResult, 'other'> & { bin: string };
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
  // One writer back to back: the reference for the 16 writers below, on the same hub and moment.
  let started = performance.now();
  let cpu = cpuSeconds(hub.pid);
  let self = process.cpuUsage();
  for (let i = 0; i < calls; i++) {
    await call(hub.url, token, 'PUT', '/api/v1/context/global/bench-one', { value: { ...VALUE, step: i } });
  }
  const oneWriterPerSec = calls / ((performance.now() - started) / 1000);
  const oneWriterCpuUs = ((cpuSeconds(hub.pid) - cpu) * 1e6) / calls;
  const oneWriterClientCpuUs = clientUs(self) / calls;
  const oneWriterRoundTripUs = ((performance.now() - started) * 1000) / calls;
  started = performance.now();
  cpu = cpuSeconds(hub.pid);
  self = process.cpuUsage();
  const concurrent = await concurrentSets(hub, token, calls);
  const perSec = concurrent.length / ((performance.now() - started) / 1000);
  const concurrentCpuUs = ((cpuSeconds(hub.pid) - cpu) * 1e6) / concurrent.length;
  const concurrentClientCpuUs = clientUs(self) / concurrent.length;
  return {
    set: summarize(sets),
    get: summarize(gets),
    oneWriterPerSec: round(oneWriterPerSec, 0),
    concurrentSet: { ...summarize(concurrent), perSec: round(perSec, 0) },
    ratio: round(perSec / oneWriterPerSec),
    oneWriterCpuUs: round(oneWriterCpuUs, 0),
    concurrentCpuUs: round(concurrentCpuUs, 0),
    oneWriterClientCpuUs: round(oneWriterClientCpuUs, 0),
    concurrentClientCpuUs: round(concurrentClientCpuUs, 0),
    oneWriterRoundTripUs: round(oneWriterRoundTripUs, 0),
  };
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

export async function runContextBench(
  opts: { quick: boolean; reps: number; compareBin?: string },
  log: (line: string) => void,
): Promise<ContextResult> {
  const calls = opts.quick ? 500 : 2000;
  const result: ContextResult = { calls, reps: [] };
  const otherReps: ContextRep[] = [];
  let hub: HubProcess | undefined;
  let other: HubProcess | undefined;
  try {
    hub = await startHub();
    const agent = await registerAgent(hub.url, 'bench-context');
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
      // Interleaved, the order alternating, so both builds see the same moments of a busy machine.
      const order = i % 2 === 0 ? ['this', 'other'] : ['other', 'this'];
      for (const who of order) {
        if (who === 'this') {
          const r = await rep(hub, agent.token, calls);
          result.reps.push(r);
          line('', i, r);
        } else if (other) {
          const r = await rep(other, otherToken, calls);
          otherReps.push(r);
          line('(other build) ', i, r);
        }
      }
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
    ...compareLines(r),
  ].join('\n');
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
