/**
 * (c) Memory per connected idle agent: the hub's RSS (VmRSS from /proc/<pid>/status) with all agents
 * registered but none connected, then with 1k, 5k, ... idle WebSocket connections (each one agent,
 * authenticated, `ready` received). Per-socket cost = (RSS at level − RSS before) ÷ sockets. Each RSS
 * figure is the median of several samples taken after the hub has settled and, through the inspector
 * (`--inspect=127.0.0.1:0`), after a forced full GC; the V8 heap after that GC is reported as well.
 */
import { readFileSync } from 'node:fs';
import { type HubProcess, registerMany, rssBytes, startHub } from '../lib/hub.js';
import { Inspector } from '../lib/inspector.js';
import { median, round, sleep } from '../lib/stats.js';
import { closeAll, connectMany, type WsAgent } from '../lib/ws-agent.js';

export interface MemoryLevel {
  sockets: number;
  rssMiB: number;
  /** (RSS − baseline RSS) / sockets, in KiB. */
  perSocketKiB: number;
  /** Increase since the previous level divided by the sockets added, in KiB. */
  marginalKiB: number;
  connectSeconds: number;
  samples: number[];
  /** (V8 heap used + external) after a forced full GC, minus the baseline's, per socket, in KiB. */
  heapPerSocketKiB: number;
}

export interface MemoryResult {
  registeredAgents: number;
  agentsPerProject: number;
  registerSeconds: number;
  baselineRssMiB: number;
  baselineSamples: number[];
  baselineHeapMiB: number;
  levels: MemoryLevel[];
  hubOpenFilesLimit: number | null;
  clientOpenFilesLimit: number | null;
  notes: string[];
}

/** Soft "Max open files" of a process, from /proc/<pid>/limits. */
export function openFilesLimit(pid: number | 'self'): number | null {
  try {
    const m = /Max open files\s+(\d+|unlimited)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    if (!m) return null;
    return m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1]);
  } catch {
    return null;
  }
}

/** Heap in use by the hub right after a forced full GC (via the inspector), in bytes. NaN without one. */
async function heapAfterGc(inspector: Inspector | undefined): Promise<number> {
  if (!inspector) return Number.NaN;
  await inspector.collectGarbage();
  await inspector.collectGarbage();
  const m = await inspector.memoryUsage();
  return m.heapUsed + m.external;
}

async function sampleRss(pid: number, count: number, everyMs: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    if (i) await sleep(everyMs);
    out.push(rssBytes(pid));
  }
  return out;
}

const MiB = 1024 * 1024;
/** Idle agents are spread over projects of 100, as teams would be. */
export const AGENTS_PER_PROJECT = 100;

export async function idleMemory(
  requested: number[],
  opts: { settleMs: number; samples: number },
): Promise<MemoryResult> {
  const notes: string[] = [];
  const clientLimit = openFilesLimit('self');
  // This process holds one fd per client socket; keep 200 spare for everything else.
  let levels = [...requested].sort((a, b) => a - b);
  if (clientLimit !== null && Number.isFinite(clientLimit)) {
    const cap = clientLimit - 200;
    if (levels.some((l) => l > cap)) {
      notes.push(
        `open-file limit of the benchmark process is ${clientLimit}; levels above ${cap} skipped (raise it with \`ulimit -n\` before \`npm run bench\`)`,
      );
      levels = levels.filter((l) => l <= cap);
    }
  }
  const hub: HubProcess = await startHub({ inspect: true });
  const conns: WsAgent[] = [];
  let inspector: Inspector | undefined;
  try {
    if (hub.inspectorUrl) {
      inspector = await Inspector.connect(hub.inspectorUrl).catch((err: Error) => {
        notes.push(`no inspector, heap figures skipped: ${err.message}`);
        return undefined;
      });
    } else notes.push('the hub printed no inspector URL; heap figures skipped');
    const hubLimit = openFilesLimit(hub.pid);
    if (hubLimit !== null && levels.some((l) => l + 200 > hubLimit)) {
      notes.push(`open-file limit of the hub is ${hubLimit}; levels above ${hubLimit - 200} skipped`);
      levels = levels.filter((l) => l + 200 <= hubLimit);
    }
    const top = levels.at(-1) ?? 0;
    const t0 = performance.now();
    const agents = await registerMany(hub.url, 'bench-idle', top, 16, AGENTS_PER_PROJECT);
    const registerSeconds = (performance.now() - t0) / 1000;

    await sleep(opts.settleMs);
    // A forced full GC first (when the inspector is there), then RSS, for every level alike.
    const baselineHeap = await heapAfterGc(inspector);
    const baselineSamples = await sampleRss(hub.pid, opts.samples, 200);
    const baseline = median(baselineSamples);
    const result: MemoryResult = {
      registeredAgents: top,
      agentsPerProject: AGENTS_PER_PROJECT,
      registerSeconds: round(registerSeconds, 2),
      baselineRssMiB: round(baseline / MiB, 1),
      baselineSamples: baselineSamples.map((b) => round(b / MiB, 1)),
      baselineHeapMiB: round(baselineHeap / MiB, 1),
      levels: [],
      hubOpenFilesLimit: hubLimit === Number.POSITIVE_INFINITY ? null : hubLimit,
      clientOpenFilesLimit: clientLimit === Number.POSITIVE_INFINITY ? null : clientLimit,
      notes,
    };
    let previousRss = baseline;
    let previousSockets = 0;
    for (const level of levels) {
      const c0 = performance.now();
      const added = await connectMany(hub.url, agents.slice(conns.length, level), 32);
      conns.push(...added);
      const connectSeconds = (performance.now() - c0) / 1000;
      await sleep(opts.settleMs);
      const heap = await heapAfterGc(inspector);
      const samples = await sampleRss(hub.pid, opts.samples, 200);
      const rss = median(samples);
      const dropped = conns.filter((c) => c.closed).length;
      if (dropped)
        notes.push(`${dropped} idle sockets were closed by the hub during the ${level}-socket measurement`);
      result.levels.push({
        sockets: level,
        rssMiB: round(rss / MiB, 1),
        perSocketKiB: round((rss - baseline) / level / 1024, 1),
        marginalKiB: round((rss - previousRss) / (level - previousSockets) / 1024, 1),
        connectSeconds: round(connectSeconds, 2),
        samples: samples.map((s) => round(s / MiB, 1)),
        heapPerSocketKiB: round((heap - baselineHeap) / level / 1024, 1),
      });
      previousRss = rss;
      previousSockets = level;
    }
    return result;
  } finally {
    inspector?.close();
    await closeAll(conns);
    await hub.stop();
  }
}
