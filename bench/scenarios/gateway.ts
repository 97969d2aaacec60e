/**
 * (g) Gateway: tool calls to `@modelcontextprotocol/server-everything` (stdio) through the hub's
 * /mcp (`everything__echo`, an SDK client with an agent bearer token: on a 2025-11-25 session, and
 * pinned to 2026-07-28, with no session: each request served on its own by one of the hub's reused
 * MCP servers) against the same calls made directly with the SDK client over stdio to a server-everything process of its own.
 * Latency: one call at a time (p50, p99); throughput: 16 calls in flight. Also CPU per call of the
 * hub process and of this (client) process, which is steadier than latency on a busy machine.
 * Medians over repetitions after a warm-up, and the hub/direct ratios. Runs on its own hub child.
 *
 * Peers: the same calls through `mcp-proxy` and `mcp-hub` (bench/lib/gateway-peers.ts), each in front
 * of a server-everything of its own, in the same interleaved repetitions (5 of 500 calls at least);
 * every system's p50 and calls/s, and its ratio to the best peer (the one with the most calls/s):
 * medians of per-repetition ratios. A peer that cannot start is reported and left out.
 *
 * Floor: `bench/scenarios/gateway-floor-server.ts`, a bare `node:http` relay (Streamable HTTP, JSON
 * answers, in front of a server-everything of its own over newline-delimited JSON-RPC), in the same
 * repetitions: the least a Node gateway process does per call. CPU per call of the downstream server
 * too, and over the 16-in-flight phase alone the client's (C), the downstream's (D) and the gateway's
 * (R): on N cores calls/s cannot exceed N / (C + D + R), the CPU budget printed for each system.
 *
 * `--compare-bin`: a second hub from that build, measured in the same repetitions (interleaved);
 * ratios other ÷ this per repetition. `--profile`: afterwards, a hub under `node --cpu-prof` serving
 * the session calls, then one serving the 2026-07-28 calls; their samples summarized by layer and by
 * function (the .cpuprofiles are kept).
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { removeDir, trackDir } from '../lib/children.js';
import { type PeerName, type PeerProcess, PEERS, startPeer } from '../lib/gateway-peers.js';
import { type ProfileRow, summarizeProfile } from '../lib/cpuprofile.js';
import { startFloorServer } from '../lib/floor.js';
import {
  cpuSecondsFine,
  type HubProcess,
  mainThreadSched,
  registerAgent,
  repoRoot,
  startHub,
} from '../lib/hub.js';
import { median, medianOf, round, summarize } from '../lib/stats.js';

type Stats = ReturnType<typeof summarize>;

export interface Side {
  seq: Stats;
  concurrent: Stats & { perSec: number };
  /** CPU time of the bench process (the MCP client) per call, µs. */
  clientCpuUs: number;
  /** CPU time of the hub process per call, µs (hub sides only). */
  hubCpuUs?: number;
  /** CPU time of the downstream server-everything process per call, µs (where its pid was found). */
  downstreamCpuUs?: number;
  /**
   * CPU per call over the 16-in-flight phase alone, µs: the client's, the gateway's, the downstream's
   * (all threads of each process), and `main`: each one's main (JavaScript) thread alone.
   */
  inFlightCpuUs?: {
    client: number;
    gateway?: number;
    downstream?: number;
    main?: { client?: number; gateway?: number; downstream?: number };
  };
}

export interface GatewayRep {
  direct: Side;
  /** Through the hub, 2025-11-25 session. */
  hub: Side;
  /** Through the hub, 2026-07-28 (no session: each request served on its own). */
  hub2026: Side;
  /** The --compare-bin build's hub, same calls, same repetition. */
  compare?: Side;
  compare2026?: Side;
  /** The same calls through the peer gateways (hubCpuUs: the peer's own process). */
  peers?: Partial<Record<PeerName, Side>>;
  /** The same calls through the bare relay (bench/scenarios/gateway-floor-server.ts; hubCpuUs: its process). */
  floor?: Side;
}

/** One system's medians in the side-by-side table, and its ratios to the best peer. */
export interface SystemRow {
  system: string;
  p50: number;
  p99: number;
  perSec: number;
  /** CPU per call of the gateway process (not of the downstream server); none for direct. */
  gatewayCpuUs?: number;
  clientCpuUs: number;
  /** Medians of per-repetition ratios: this system's calls/s ÷ the best peer's, p50 ÷ the best peer's. */
  perSecVsBestPeer?: number;
  p50VsBestPeer?: number;
  /** The CPU budget at 16 in flight (medians of the per-repetition figures), where all three were measured. */
  budget?: CpuBudget;
}

/**
 * Client (C), downstream (D) and gateway (R) CPU per call at 16 in flight, µs; on `cores` CPUs the
 * three processes cannot together serve more than cores / (C + D + R) calls per second (`boundPerSec`).
 */
export interface CpuBudget {
  cores: number;
  clientUs: number;
  downstreamUs: number;
  gatewayUs: number;
  boundPerSec: number;
  /**
   * The busiest main thread's CPU per call (each process's JavaScript runs on one thread, so it
   * cannot serve more than 1 / that calls per second whatever the cores), and which process it is.
   */
  busiestMainThread?: { process: 'client' | 'gateway' | 'downstream'; us: number; boundPerSec: number };
  /** The lower of the two bounds: the most these three processes could serve on this machine alone. */
  ceilingPerSec: number;
  /** Measured calls/s ÷ the ceiling (medians): below 1 the processes waited (for a CPU, or for each other). */
  ofCeiling: number;
}

export interface SideSummary {
  p50: number;
  p99: number;
  perSec: number;
  hubCpuUs: number;
  clientCpuUs: number;
}

/** --compare-bin: the other build's medians, and medians of per-repetition ratios other ÷ this. */
export interface CompareSummary extends SideSummary {
  p50Ratio: number;
  perSecRatio: number;
  cpuRatio: number;
}

export interface GatewayProfile {
  file: string;
  busyMs: number;
  /** Busy time less the samples inside write system calls (see `layers`). */
  cpuMs: number;
  calls: number;
  /** The measured calls' time span in the profile (CLOCK_MONOTONIC µs, as the profile's timestamps). */
  window: { fromUs: number; toUs: number };
  /** Samples by layer: the innermost frame that belongs to a known layer decides. */
  layers: Array<{ layer: string; ms: number; pct: number }>;
  topSelf: ProfileRow[];
}

export interface GatewayResult {
  calls: number;
  reps: GatewayRep[];
  compareBin?: string;
  median?: {
    directP50: number;
    directP99: number;
    hubP50: number;
    hubP99: number;
    directPerSec: number;
    hubPerSec: number;
    hubCpuUs: number;
    hubClientCpuUs: number;
    directClientCpuUs: number;
    /** hub / direct latency (p50, p99) and direct / hub throughput: how much the hub costs. */
    p50Ratio: number;
    p99Ratio: number;
    throughputRatio: number;
    /** The same through a 2026-07-28 client. */
    hub2026: SideSummary;
  };
  compare?: { session: CompareSummary; stateless: CompareSummary };
  /** The peer gateways measured, and those that could not be. */
  peers?: Array<{ name: PeerName; version: string; transport: string }>;
  peerErrors?: Partial<Record<PeerName, string>>;
  /** Direct, Switchboard (session, 2026-07-28), each peer and the floor side by side; `bestPeer` by calls/s. */
  systems?: SystemRow[];
  /** Why the floor (bench/scenarios/gateway-floor-server.ts) was not measured. */
  floorError?: string;
  /**
   * The most any gateway could reach with the bench's Streamable HTTP client: the ceiling (see
   * CpuBudget) with the floor's client and downstream CPU per call and no gateway CPU at all; that ÷
   * the best peer's own ceiling, and ÷ the best peer's measured calls/s.
   */
  noGatewayBound?: { perSec: number; vsBestPeerCeiling?: number; vsBestPeerPerSec?: number };
  bestPeer?: PeerName;
  /** --profile: the hub serving the 2025-11-25 session calls, and the 2026-07-28 calls. */
  profile?: GatewayProfile | { error: string };
  profile2026?: GatewayProfile | { error: string };
  error?: string;
}

const LANES = 16;
const MESSAGE = 'x'.repeat(100);

export function everythingEntry(): string {
  const require = createRequire(import.meta.url);
  return join(
    dirname(require.resolve('@modelcontextprotocol/server-everything/package.json')),
    'dist',
    'index.js',
  );
}

type Call = () => Promise<void>;

/** CPU seconds of a process, or NaN once it is gone. */
function cpuOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    return cpuSecondsFine(pid);
  } catch {
    return Number.NaN;
  }
}

/** The first process under `pid` (children first, then theirs) whose command line has `marker`. */
export function descendantWith(pid: number, marker: string): number | undefined {
  const queue = [pid];
  while (queue.length) {
    const parent = queue.shift()!;
    let kids: number[] = [];
    try {
      for (const task of readdirSync(`/proc/${parent}/task`))
        kids.push(
          ...readFileSync(`/proc/${parent}/task/${task}/children`, 'utf8')
            .split(' ')
            .filter(Boolean)
            .map(Number),
        );
    } catch {
      kids = [];
    }
    for (const kid of kids) {
      try {
        if (readFileSync(`/proc/${kid}/cmdline`, 'utf8').includes(marker)) return kid;
      } catch {
        /* gone */
      }
    }
    queue.push(...kids);
  }
  return undefined;
}

/** Nanoseconds on a CPU so far of the main threads of this process, the gateway and the downstream. */
function mainThreads(gateway: number | undefined, downstream: number | undefined) {
  const run = (pid: number | undefined) =>
    pid === undefined ? Number.NaN : (mainThreadSched(pid)?.runNs ?? Number.NaN);
  return { client: run(process.pid), gateway: run(gateway), downstream: run(downstream) };
}

const perCall = (seconds: number, calls: number) => round((seconds * 1e6) / calls, 0);

async function measure(call: Call, calls: number, hubPid?: number, downstreamPid?: number): Promise<Side> {
  const cpu0 = process.cpuUsage();
  const hub0 = cpuOf(hubPid);
  const down0 = cpuOf(downstreamPid);
  const seq: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await call();
    seq.push(performance.now() - t0);
  }
  const cpu1 = process.cpuUsage();
  const hub1 = cpuOf(hubPid);
  const down1 = cpuOf(downstreamPid);
  const main1 = mainThreads(hubPid, downstreamPid);
  const concurrent: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: LANES }, async (_, lane) => {
      for (let i = lane; i < calls; i += LANES) {
        const t0 = performance.now();
        await call();
        concurrent.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const total = seq.length + concurrent.length;
  const cpu = process.cpuUsage(cpu0);
  const cpu16 = process.cpuUsage(cpu1);
  const hub2 = cpuOf(hubPid);
  const down2 = cpuOf(downstreamPid);
  const main2 = mainThreads(hubPid, downstreamPid);
  const known = (x: number) => Number.isFinite(x);
  const main: Record<string, number> = {};
  for (const k of ['client', 'gateway', 'downstream'] as const) {
    const ns = main2[k] - main1[k];
    if (known(ns)) main[k] = round(ns / 1000 / concurrent.length, 0);
  }
  return {
    seq: summarize(seq),
    concurrent: { ...summarize(concurrent), perSec: round(concurrent.length / seconds, 0) },
    clientCpuUs: round((cpu.user + cpu.system) / total, 0),
    ...(known(hub2 - hub0) ? { hubCpuUs: perCall(hub2 - hub0, total) } : {}),
    ...(known(down2 - down0) ? { downstreamCpuUs: perCall(down2 - down0, total) } : {}),
    inFlightCpuUs: {
      client: round((cpu16.user + cpu16.system) / concurrent.length, 0),
      ...(known(hub2 - hub1) ? { gateway: perCall(hub2 - hub1, concurrent.length) } : {}),
      ...(known(down2 - down1) ? { downstream: perCall(down2 - down1, concurrent.length) } : {}),
      main,
    },
  };
}

function echoCall(client: Client, name: string): Call {
  return async () => {
    const res = await client.callTool({ name, arguments: { message: MESSAGE } });
    if (res.isError) throw new Error(`${name}: ${JSON.stringify(res.content).slice(0, 300)}`);
  };
}

const everythingConfig = (entry: string) => ({
  gateway: { servers: [{ name: 'everything', command: process.execPath, args: [entry, 'stdio'] }] },
});

/**
 * An SDK client on the hub's /mcp with an agent token, once everything__echo is listed: a 2025-11-25
 * session, or (`modern`) pinned to 2026-07-28.
 */
async function hubClient(hub: HubProcess, name: string, modern = false): Promise<Client> {
  const agent = await registerAgent(hub.url, name);
  const client = new Client(
    { name: `switchboard-${name}`, version: '0.1.0' },
    modern ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {},
  );
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${hub.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${agent.token}` } },
    }),
  );
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if ((await client.listTools()).tools.some((t) => t.name === 'everything__echo')) return client;
    await new Promise((r) => setTimeout(r, 200));
  }
  await client.close().catch(() => {});
  throw new Error(`everything__echo did not appear on the hub ${hub.url} within 30 s`);
}

function sideSummary(sides: Side[]): SideSummary {
  const m = (pick: (s: Side) => number) => median(sides.map(pick));
  return {
    p50: round(m((s) => s.seq.p50)),
    p99: round(m((s) => s.seq.p99)),
    perSec: round(
      m((s) => s.concurrent.perSec),
      0,
    ),
    hubCpuUs: round(
      m((s) => s.hubCpuUs ?? Number.NaN),
      0,
    ),
    clientCpuUs: round(
      m((s) => s.clientCpuUs),
      0,
    ),
  };
}

function compareSummary(pairs: Array<[other: Side, self: Side]>): CompareSummary {
  const r = (pick: (o: Side, s: Side) => number) => round(median(pairs.map(([o, s]) => pick(o, s))), 3);
  return {
    ...sideSummary(pairs.map(([o]) => o)),
    p50Ratio: r((o, s) => o.seq.p50 / s.seq.p50),
    perSecRatio: r((o, s) => o.concurrent.perSec / s.concurrent.perSec),
    cpuRatio: r((o, s) => (o.hubCpuUs ?? Number.NaN) / (s.hubCpuUs ?? Number.NaN)),
  };
}

const rounded = (s: Side) =>
  `p50 ${round(s.seq.p50)} ms ${s.concurrent.perSec}/s ${s.hubCpuUs} µs hub CPU/call`;

export async function runGatewayBench(
  opts: { quick: boolean; reps: number; compareBin?: string; profile?: boolean; out?: string },
  log: (line: string) => void,
): Promise<GatewayResult> {
  // The peers were measured by hand as 5 interleaved repetitions of 500 calls; never fewer here.
  const calls = 500;
  const reps = Math.max(5, opts.reps);
  const result: GatewayResult = {
    calls,
    reps: [],
    ...(opts.compareBin ? { compareBin: opts.compareBin } : {}),
  };
  const hubs: HubProcess[] = [];
  const clients: Client[] = [];
  const peers: PeerProcess[] = [];
  const entry = everythingEntry();
  let floor: HubProcess | undefined;
  try {
    const hub = await startHub({ config: everythingConfig(entry) });
    hubs.push(hub);
    const session = await hubClient(hub, 'bench-gateway');
    clients.push(session);
    const stateless = await hubClient(hub, 'bench-gateway-2026', true);
    clients.push(stateless);
    let other: { hub: HubProcess; session: Client; stateless: Client } | undefined;
    if (opts.compareBin) {
      const otherHub = await startHub({ bin: opts.compareBin, config: everythingConfig(entry) });
      hubs.push(otherHub);
      log(`gateway comparison hub ${otherHub.url} (pid ${otherHub.pid}) from ${opts.compareBin}`);
      const s = await hubClient(otherHub, 'bench-gateway-compare');
      clients.push(s);
      const m = await hubClient(otherHub, 'bench-gateway-compare-2026', true);
      clients.push(m);
      other = { hub: otherHub, session: s, stateless: m };
    }
    const direct = new Client({ name: 'switchboard-bench-direct', version: '0.1.0' });
    const directTransport = new StdioClientTransport({
      command: process.execPath,
      args: [entry, 'stdio'],
      stderr: 'ignore',
    });
    await direct.connect(directTransport);
    clients.push(direct);
    for (const name of PEERS) {
      try {
        const peer = await startPeer(name, { command: process.execPath, args: [entry, 'stdio'] });
        peers.push(peer);
        log(`gateway peer ${name} ${peer.version} (pid ${peer.pid}, ${peer.transport})`);
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        (result.peerErrors ??= {})[name] = error;
        log(`gateway peer ${name} not measured: ${error}`);
      }
    }
    result.peers = peers.map((p) => ({ name: p.name, version: p.version, transport: p.transport }));
    const peerCalls = peers.map(
      (p) => [p, echoCall(p.client, p.echoTool), descendantWith(p.pid, entry)] as const,
    );
    let floorCall: Call | undefined;
    try {
      floor = await startFloorServer('gateway-floor-server.js', [process.execPath, entry, 'stdio']);
      const client = new Client({ name: 'switchboard-bench-floor', version: '0.1.0' });
      clients.push(client);
      await client.connect(new StreamableHTTPClientTransport(new URL(`${floor.url}/mcp`)));
      if (!(await client.listTools()).tools.some((t) => t.name === 'echo'))
        throw new Error('the floor does not list echo');
      floorCall = echoCall(client, 'echo');
      log(`gateway floor (bare relay) ${floor.url} (pid ${floor.pid})`);
    } catch (err) {
      result.floorError = err instanceof Error ? err.message : String(err);
      log(`gateway floor not measured: ${result.floorError}`);
    }
    const floorDownstream = floor && descendantWith(floor.pid, entry);
    const hubDownstream = descendantWith(hub.pid, entry);
    const otherDownstream = other && descendantWith(other.hub.pid, entry);
    const directDownstream = directTransport.pid ?? undefined;

    const directCall = echoCall(direct, 'echo');
    const hubCall = echoCall(session, 'everything__echo');
    const hub2026Call = echoCall(stateless, 'everything__echo');
    const otherCall = other && echoCall(other.session, 'everything__echo');
    const other2026Call = other && echoCall(other.stateless, 'everything__echo');
    const warm = Math.min(200, calls);
    for (const call of [
      directCall,
      hubCall,
      hub2026Call,
      otherCall,
      other2026Call,
      ...peerCalls.map((p) => p[1]),
      floorCall,
    ])
      if (call) await measure(call, warm);
    for (let i = 0; i < reps; i++) {
      // Interleaved, so machine load drifts affect all alike.
      const d = await measure(directCall, calls, undefined, directDownstream);
      const h = await measure(hubCall, calls, hub.pid, hubDownstream);
      const o =
        otherCall && other ? await measure(otherCall, calls, other.hub.pid, otherDownstream) : undefined;
      const h26 = await measure(hub2026Call, calls, hub.pid, hubDownstream);
      const o26 =
        other2026Call && other
          ? await measure(other2026Call, calls, other.hub.pid, otherDownstream)
          : undefined;
      const p: Partial<Record<PeerName, Side>> = {};
      for (const [peer, call, down] of peerCalls) p[peer.name] = await measure(call, calls, peer.pid, down);
      const f = floorCall && floor ? await measure(floorCall, calls, floor.pid, floorDownstream) : undefined;
      result.reps.push({
        direct: d,
        hub: h,
        hub2026: h26,
        ...(o && o26 ? { compare: o, compare2026: o26 } : {}),
        ...(peerCalls.length ? { peers: p } : {}),
        ...(f ? { floor: f } : {}),
      });
      log(
        `gateway rep ${i + 1}: direct p50 ${round(d.seq.p50)} ms ${d.concurrent.perSec}/s; ` +
          `hub session ${rounded(h)}; 2026 ${rounded(h26)}` +
          (o && o26 ? `; compare-bin session ${rounded(o)}; 2026 ${rounded(o26)}` : '') +
          Object.entries(p)
            .map(([name, s]) => `; ${name} ${rounded(s)}`)
            .join('') +
          (f ? `; floor ${rounded(f)}` : ''),
      );
    }
    const m = (pick: (r: GatewayRep) => number) => medianOf(result.reps, pick);
    const directP50 = m((r) => r.direct.seq.p50);
    const directP99 = m((r) => r.direct.seq.p99);
    const hubP50 = m((r) => r.hub.seq.p50);
    const hubP99 = m((r) => r.hub.seq.p99);
    const directPerSec = m((r) => r.direct.concurrent.perSec);
    const hubPerSec = m((r) => r.hub.concurrent.perSec);
    result.median = {
      directP50: round(directP50),
      directP99: round(directP99),
      hubP50: round(hubP50),
      hubP99: round(hubP99),
      directPerSec: round(directPerSec, 0),
      hubPerSec: round(hubPerSec, 0),
      hubCpuUs: round(
        m((r) => r.hub.hubCpuUs ?? Number.NaN),
        0,
      ),
      hubClientCpuUs: round(
        m((r) => r.hub.clientCpuUs),
        0,
      ),
      directClientCpuUs: round(
        m((r) => r.direct.clientCpuUs),
        0,
      ),
      p50Ratio: round(hubP50 / directP50),
      p99Ratio: round(hubP99 / directP99),
      throughputRatio: round(directPerSec / hubPerSec),
      hub2026: sideSummary(result.reps.map((r) => r.hub2026)),
    };
    Object.assign(
      result,
      sideBySide(
        result.reps,
        PEERS.filter((n) => peers.some((p) => p.name === n)),
      ),
    );
    const compared = result.reps.filter((r) => r.compare && r.compare2026);
    if (compared.length) {
      result.compare = {
        session: compareSummary(compared.map((r) => [r.compare!, r.hub])),
        stateless: compareSummary(compared.map((r) => [r.compare2026!, r.hub2026])),
      };
    }
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    log(`gateway failed: ${result.error}`);
  } finally {
    for (const c of clients) await c.close().catch(() => {});
    for (const h of hubs) await h.stop();
    for (const p of peers) await p.stop();
    await floor?.stop();
  }
  if (opts.profile && !result.error) {
    result.profile = await profileGateway(entry, calls, opts.out, log, false);
    result.profile2026 = await profileGateway(entry, calls, opts.out, log, true);
  }
  return result;
}

/**
 * The side-by-side table: direct, Switchboard (both eras) and each peer, with ratios to the best
 * peer (most calls/s by median), as medians of per-repetition ratios.
 */
function sideBySide(
  reps: GatewayRep[],
  peerNames: PeerName[],
): Pick<GatewayResult, 'systems' | 'bestPeer' | 'noGatewayBound'> {
  const sides: Array<[string, (r: GatewayRep) => Side | undefined]> = [
    ['direct (SDK client, stdio)', (r) => r.direct],
    ['Switchboard, 2025-11-25 session', (r) => r.hub],
    ['Switchboard, 2026-07-28', (r) => r.hub2026],
    ...peerNames.map(
      (n) => [n, (r: GatewayRep) => r.peers?.[n]] as [string, (r: GatewayRep) => Side | undefined],
    ),
    ...(reps.some((r) => r.floor)
      ? [[FLOOR, (r: GatewayRep) => r.floor] as [string, (r: GatewayRep) => Side | undefined]]
      : []),
  ];
  const perSecOf = (pick: (r: GatewayRep) => Side | undefined) =>
    median(reps.map((r) => pick(r)?.concurrent.perSec ?? Number.NaN));
  const bestPeer = [...peerNames].sort(
    (a, b) => perSecOf((r) => r.peers?.[b]) - perSecOf((r) => r.peers?.[a]),
  )[0];
  const best = (r: GatewayRep) => (bestPeer ? r.peers?.[bestPeer] : undefined);
  const systems = sides.map(([system, pick]): SystemRow => {
    const mine = reps.map(pick).filter((s): s is Side => s !== undefined);
    const s = sideSummary(mine);
    const ratio = (f: (own: Side, peer: Side) => number) =>
      round(
        median(
          reps.map((r) => {
            const own = pick(r);
            const peer = best(r);
            return own && peer ? f(own, peer) : Number.NaN;
          }),
        ),
      );
    const budget = cpuBudget(mine);
    return {
      system,
      p50: s.p50,
      p99: s.p99,
      perSec: s.perSec,
      ...(Number.isFinite(s.hubCpuUs) ? { gatewayCpuUs: s.hubCpuUs } : {}),
      clientCpuUs: s.clientCpuUs,
      ...(budget ? { budget } : {}),
      ...(bestPeer
        ? {
            perSecVsBestPeer: ratio((own, peer) => own.concurrent.perSec / peer.concurrent.perSec),
            p50VsBestPeer: ratio((own, peer) => own.seq.p50 / peer.seq.p50),
          }
        : {}),
    };
  });
  // The floor's client and downstream with no gateway CPU at all: R = 0, and the gateway's main thread never the busiest.
  const floorSides = reps.map((r) => r.floor).filter((x): x is Side => x !== undefined);
  const f = (pick: (x: NonNullable<Side['inFlightCpuUs']>) => number | undefined) =>
    median(floorSides.map((x) => (x.inFlightCpuUs ? (pick(x.inFlightCpuUs) ?? Number.NaN) : Number.NaN)));
  const mainFloor = Math.max(
    f((x) => x.main?.client),
    f((x) => x.main?.downstream),
  );
  const noGateway = Math.min(
    (CORES * 1e6) / (f((x) => x.client) + f((x) => x.downstream)),
    mainFloor > 0 ? 1e6 / mainFloor : Number.POSITIVE_INFINITY,
  );
  const bestPerSec = bestPeer ? perSecOf((r) => r.peers?.[bestPeer]) : Number.NaN;
  const bestCeiling = systems.find((row) => row.system === bestPeer)?.budget?.ceilingPerSec ?? Number.NaN;
  return {
    systems,
    ...(bestPeer ? { bestPeer } : {}),
    ...(Number.isFinite(noGateway)
      ? {
          noGatewayBound: {
            perSec: round(noGateway, 0),
            ...(Number.isFinite(bestCeiling) ? { vsBestPeerCeiling: round(noGateway / bestCeiling) } : {}),
            ...(Number.isFinite(bestPerSec) ? { vsBestPeerPerSec: round(noGateway / bestPerSec) } : {}),
          },
        }
      : {}),
  };
}

const FLOOR = 'floor (bare relay, JSON answers)';
const CORES = availableParallelism();

/** The CPU budget of one system's repetitions, when the client, gateway and downstream CPU were all measured. */
function cpuBudget(sides: Side[]): CpuBudget | undefined {
  const m = (pick: (x: NonNullable<Side['inFlightCpuUs']>) => number | undefined) =>
    median(sides.map((x) => (x.inFlightCpuUs ? (pick(x.inFlightCpuUs) ?? Number.NaN) : Number.NaN)));
  const clientUs = m((x) => x.client);
  const downstreamUs = m((x) => x.downstream);
  const gatewayUs = m((x) => x.gateway ?? 0);
  if (![clientUs, downstreamUs, gatewayUs].every(Number.isFinite)) return undefined;
  const mains = (['client', 'gateway', 'downstream'] as const)
    .map((p) => ({ process: p, us: m((x) => x.main?.[p]) }))
    .filter((x) => Number.isFinite(x.us))
    .sort((a, b) => b.us - a.us);
  const busiest = mains[0];
  const bound = (CORES * 1e6) / (clientUs + downstreamUs + gatewayUs);
  const ceiling = busiest && busiest.us > 0 ? Math.min(bound, 1e6 / busiest.us) : bound;
  return {
    cores: CORES,
    clientUs: round(clientUs, 0),
    downstreamUs: round(downstreamUs, 0),
    gatewayUs: round(gatewayUs, 0),
    boundPerSec: round(bound, 0),
    ceilingPerSec: round(ceiling, 0),
    ofCeiling: round(median(sides.map((x) => x.concurrent.perSec)) / ceiling),
    ...(busiest && busiest.us > 0
      ? {
          busiestMainThread: {
            process: busiest.process,
            us: round(busiest.us, 0),
            boundPerSec: round(1e6 / busiest.us, 0),
          },
        }
      : {}),
  };
}

// ---------------------------------------------------------------- --profile

/**
 * Layers of the hub's work on a proxied call, by the script URL of a frame (first match wins). A
 * sample belongs to the innermost frame that is in a layer; frames of other packages (zod, undici,
 * prom-client, pino, node internals) count for the layer that called them.
 */
const LAYERS: Array<[string, RegExp]> = [
  ['downstream SDK client (request, stdio, result validation)', /@modelcontextprotocol\/client\//],
  [
    'gateway (tool handler, service, policy, breaker, metrics)',
    /\/domain\/gateway\/|gateway-tools\.js|gateway-metrics\.js/,
  ],
  [
    'SDK server protocol (JSON-RPC, zod validation, McpServer)',
    /@modelcontextprotocol\/server\/dist\/(mcp-|src-)/,
  ],
  [
    'SDK Streamable HTTP transport (web streams, SSE, hono)',
    /@modelcontextprotocol\/server\/dist\/index|@modelcontextprotocol\/node|@hono\/node-server/,
  ],
  ['hub /mcp endpoint (body, identity, sessions, tool context)', /\/surfaces\/mcp\//],
  [
    'Fastify, request hooks (log, HTTP metrics), bearer token check',
    /fastify|find-my-way|\/surfaces\/http\/|\/observability\/metrics\.js|\/domain\/agents\//,
  ],
  ['rest of the hub', /\/dist\/src\//],
];
const WRITES = 'write system calls (under load mostly the hub preempted by the process it woke)';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

/** Busy samples by layer; `window`: CLOCK_MONOTONIC µs, as for summarizeProfile. */
function layersOf(
  file: string,
  window: { fromUs: number; toUs: number },
): { busyUs: number; writesUs: number; layers: Map<string, number> } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: ProfileNode[];
    startTime: number;
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const layerOfNode = new Map<number, string>();
  const layerOf = (id: number): string => {
    const known = layerOfNode.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id)!;
    const own = LAYERS.find(([, re]) => re.test(node.callFrame.url))?.[0];
    const up = parent.get(id);
    const layer = own ?? (up === undefined ? 'Node internals (HTTP parser, sockets, timers)' : layerOf(up));
    layerOfNode.set(id, layer);
    return layer;
  };
  const layers = new Map<string, number>();
  let busyUs = 0;
  let writesUs = 0;
  let at = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    at += p.timeDeltas[i] ?? 0;
    if (at < window.fromUs || at > window.toUs) continue;
    const us = p.timeDeltas[i + 1] ?? 0;
    const node = byId.get(p.samples[i]);
    if (!node) continue;
    const fn = node.callFrame.functionName;
    if (fn === '(idle)') continue;
    busyUs += us;
    const layer =
      fn === 'writeUtf8String' || fn === 'writev'
        ? WRITES
        : fn === '(garbage collector)' || fn === '(program)'
          ? fn
          : layerOf(node.id);
    if (layer === WRITES) writesUs += us;
    layers.set(layer, (layers.get(layer) ?? 0) + us);
  }
  return { busyUs, writesUs, layers };
}

export async function profileGateway(
  entry: string,
  calls: number,
  out: string | undefined,
  log: (line: string) => void,
  modern: boolean,
): Promise<GatewayProfile | { error: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-prof-'));
  trackDir(dir);
  let hub: HubProcess | undefined;
  let client: Client | undefined;
  try {
    log(`profiling the hub serving ${2 * calls} gateway calls (${modern ? '2026-07-28' : 'session'})`);
    hub = await startHub({
      config: everythingConfig(entry),
      nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir],
    });
    client = await hubClient(hub, 'bench-gateway-profile', modern);
    const call = echoCall(client, 'everything__echo');
    await measure(call, Math.min(200, calls));
    const fromUs = Number(process.hrtime.bigint() / 1000n);
    await measure(call, calls);
    const toUs = Number(process.hrtime.bigint() / 1000n);
    await client.close();
    client = undefined;
    await hub.stop(); // SIGTERM → the hub exits normally and V8 writes the profile
    hub = undefined;
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('the hub wrote no .cpuprofile (did it exit cleanly on SIGTERM?)');
    const kept = join(
      out ?? dir,
      `${new Date().toISOString().replace(/[:.]/g, '-')}-hub-gateway${modern ? '-2026' : ''}.cpuprofile`,
    );
    if (out) copyFileSync(join(dir, file), kept);
    const window = { fromUs, toUs };
    const summary = summarizeProfile(out ? kept : join(dir, file), repoRoot(), 25, window);
    const { busyUs, writesUs, layers } = layersOf(out ? kept : join(dir, file), window);
    return {
      file: out ? relative(repoRoot(), kept) : '(not kept: no --out)',
      busyMs: round(busyUs / 1000, 0),
      cpuMs: round((busyUs - writesUs) / 1000, 0),
      calls: 2 * calls,
      window,
      layers: [...layers.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([layer, us]) => ({ layer, ms: round(us / 1000, 0), pct: round((us / busyUs) * 100, 1) })),
      topSelf: summary.topSelf,
    };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    log(`gateway profile failed: ${error}`);
    return { error };
  } finally {
    await client?.close().catch(() => {});
    await hub?.stop();
    removeDir(dir);
  }
}

// ---------------------------------------------------------------- rendering

export function renderGateway(r: GatewayResult): string {
  if (!r.median) return `(g) gateway: ${r.error ?? 'no result'}`;
  const m = r.median;
  const s = m.hub2026;
  const lines = [
    `(g) gateway: server-everything echo (100 B), ${r.calls} calls per repetition, median of ${r.reps.length}`,
    `    direct (SDK client, stdio)            one at a time p50 ${m.directP50} ms   p99 ${m.directP99} ms   ${LANES} in flight ${m.directPerSec} calls/s   client CPU ${m.directClientCpuUs} µs/call`,
    `    through the hub, 2025-11-25 session   one at a time p50 ${m.hubP50} ms   p99 ${m.hubP99} ms   ${LANES} in flight ${m.hubPerSec} calls/s   hub CPU ${m.hubCpuUs} µs/call   client CPU ${m.hubClientCpuUs} µs/call`,
    `    hub (session) / direct                p50 x${m.p50Ratio}   p99 x${m.p99Ratio}   throughput direct/hub x${m.throughputRatio}`,
    `    through the hub, 2026-07-28           one at a time p50 ${s.p50} ms   p99 ${s.p99} ms   ${LANES} in flight ${s.perSec} calls/s   hub CPU ${s.hubCpuUs} µs/call   client CPU ${s.clientCpuUs} µs/call`,
  ];
  if (r.systems) {
    const peerList = (r.peers ?? []).map((p) => `${p.name} ${p.version} (${p.transport})`).join(', ');
    lines.push(
      `    side by side, same repetitions: ${peerList || 'no peer'}; ratios to the best peer (${r.bestPeer ?? 'none'}), medians of per-repetition ratios`,
    );
    for (const row of r.systems) {
      const vs =
        row.perSecVsBestPeer === undefined
          ? ''
          : `   calls/s x${row.perSecVsBestPeer} the best peer   p50 x${row.p50VsBestPeer}`;
      const cpu = row.gatewayCpuUs === undefined ? '' : `   gateway CPU ${row.gatewayCpuUs} µs/call`;
      lines.push(
        `      ${row.system.padEnd(34)}p50 ${String(row.p50).padStart(5)} ms   ${String(row.perSec).padStart(6)} calls/s${vs}${cpu}`,
      );
    }
  }
  for (const [name, error] of Object.entries(r.peerErrors ?? {}))
    lines.push(`    peer ${name} not measured: ${error}`);
  if (r.floorError) lines.push(`    floor not measured: ${r.floorError}`);
  const budgets = (r.systems ?? []).filter((row) => row.budget);
  if (budgets.length) {
    const cores = budgets[0]!.budget!.cores;
    lines.push(
      `    CPU budget at ${LANES} in flight on ${cores} cores (CPU per call, medians): calls/s <= ${cores} / (client C + downstream D + gateway R), ` +
        "and <= 1 / the busiest main (JavaScript) thread's CPU per call; the lower is the ceiling",
    );
    for (const row of budgets) {
      const b = row.budget!;
      const main = b.busiestMainThread;
      lines.push(
        `      ${row.system.padEnd(34)}C ${String(b.clientUs).padStart(4)} + D ${String(b.downstreamUs).padStart(3)} + R ${String(b.gatewayUs).padStart(4)} µs: <= ${String(b.boundPerSec).padStart(5)}` +
          (main
            ? `   main thread (${main.process} ${main.us} µs): <= ${String(main.boundPerSec).padStart(5)}`
            : '') +
          `   ceiling ${b.ceilingPerSec} calls/s, measured x${b.ofCeiling} of it`,
      );
    }
    const n = r.noGatewayBound;
    if (n)
      lines.push(
        `      no gateway CPU at all (the floor's client and downstream, R = 0): ceiling ${n.perSec} calls/s` +
          (n.vsBestPeerCeiling === undefined ? '' : `, x${n.vsBestPeerCeiling} the best peer's ceiling`) +
          (n.vsBestPeerPerSec === undefined ? '' : `, x${n.vsBestPeerPerSec} its measured calls/s`),
      );
  }
  if (r.compare) {
    for (const [label, c] of [
      ['session', r.compare.session],
      ['2026-07-28', r.compare.stateless],
    ] as const) {
      lines.push(
        `${`    --compare-bin, ${label}`.padEnd(42)}one at a time p50 ${c.p50} ms   p99 ${c.p99} ms   ${LANES} in flight ${c.perSec} calls/s   hub CPU ${c.hubCpuUs} µs/call`,
        `      ÷ this build                        p50 x${c.p50Ratio}   calls/s x${c.perSecRatio}   hub CPU per call x${c.cpuRatio} (medians of per-repetition ratios)`,
      );
    }
    lines.push(`    --compare-bin: ${r.compareBin}`);
  } else if (r.compareBin) {
    lines.push(`    --compare-bin ${r.compareBin}: no comparison (see the log)`);
  }
  for (const [era, p] of [
    ['session', r.profile],
    ['2026-07-28', r.profile2026],
  ] as const) {
    if (!p) continue;
    if ('error' in p) {
      lines.push(`    hub CPU profile (${era}): FAILED: ${p.error}`);
      continue;
    }
    lines.push(
      `    hub CPU profile, ${p.calls} ${era} calls (half one at a time, half ${LANES} in flight): ${p.busyMs} ms busy, ` +
        `${round((p.cpuMs * 1000) / p.calls, 0)} µs per call without the write system calls; ${p.file}`,
    );
    for (const l of p.layers) lines.push(`      ${String(l.pct).padStart(5)} %  ${l.layer}`);
    lines.push('      top functions (self time):');
    for (const f of p.topSelf.slice(0, 12))
      lines.push(`      ${String(f.pct).padStart(5)} %  ${f.name}  ${f.where}`);
  }
  return lines.join('\n');
}
