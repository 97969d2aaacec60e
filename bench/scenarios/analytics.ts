/**
 * (j) Analytics at scale. An in-process hub on a temp data directory: 200 agents in 4 projects
 * registered through `register_agent`, then a log of `--messages` messages (default 1,000,000) over
 * 30 days written straight into SQLite (lib/analytics-fill.ts), then `analytics_rebuild` (timed)
 * builds the rollups. Every read-only op of the `analytics` group is then invoked through the hub's
 * Invoker (the op path every surface takes: authorize, validate, handler, rollups, cache) as the
 * admin: uncached on a hub with `analytics.cacheSeconds: 0` (p50/p99 per op and input), then cached
 * on a hub with a long TTL on the same file (p50 of cache hits). Last, the send path's cost of the
 * rollups: two hub child processes, `analytics.enabled` true and false, WebSocket saturation rounds
 * alternating between them; msg/s of each, and the median of per-round ratios.
 */
import { statSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { admin } from '../../src/core/caller.js';
import { createHub, type Hub } from '../../src/hub.js';
import { catalog } from '../../src/ops/catalog.js';
import type { SqliteStore } from '../../src/store/sqlite/index.js';
import { fillMessages, type FillResult } from '../lib/analytics-fill.js';
import { removeDir, trackDir } from '../lib/children.js';
import { type HubProcess, startHub } from '../lib/hub.js';
import { median, round, summarize } from '../lib/stats.js';
import { WsPairs } from './ws-throughput.js';

export interface AnalyticsBenchOptions {
  quick: boolean;
  messages: number;
  /** Saturation window per round of the send-path comparison (ms). */
  saturationMs: number;
  warmupMs: number;
  window: number;
  body: number;
}

export interface OpTiming {
  op: string;
  input: Record<string, unknown>;
  uncached?: { n: number; p50: number; p99: number; max: number };
  cached?: { n: number; p50: number; p99: number };
  /** Items in the answer's main list (a sanity check that it did work). */
  rows?: number;
  error?: string;
}

export interface SendRound {
  on: number;
  off: number;
  /** Delivered msg/s with rollups ÷ without. */
  ratio: number;
  onPerCpuS: number;
  offPerCpuS: number;
  cpuRatio: number;
}

export interface AnalyticsResult {
  messages: number;
  agents: number;
  projects: number;
  days: number;
  load: { start: string; end?: string };
  fill?: FillResult;
  rebuildSeconds?: number;
  /** CPU seconds of this process (the hub is in it) while filling and while rebuilding. */
  fillCpuSeconds?: number;
  rebuildCpuSeconds?: number;
  rebuilt?: unknown;
  dbMiB?: number;
  ops: OpTiming[];
  send?: {
    rounds: SendRound[];
    medianOn: number;
    medianOff: number;
    medianRatio: number;
    medianCpuRatio: number;
  };
  seconds?: number;
  error?: string;
}

const AGENTS = 200;
const PROJECTS = 4;
const DAYS = 30;
const ROLES = ['lead', 'worker', 'reviewer', 'tester'];
const CAPS = ['code', 'review', 'test', 'docs', 'deploy'];

/** Sample inputs per op; an analytics op not named here is called with `{}`. */
function samples(op: string, project: string, agents: string[]): Array<Record<string, unknown>> {
  switch (op) {
    case 'find_route':
      return [
        { from: agents[0], to: agents[agents.length - 4] },
        { from: agents[0], capability: 'review' },
      ];
    case 'recommend_agents':
      return [{ capability: 'code' }, { capability: 'code', for_agent: agents[0] }];
    case 'analytics_history':
      return [{ bucket: 'hour' }, { bucket: 'day' }, { bucket: 'hour', project }];
    case 'analytics_usage':
      return [{}, { project, role: 'worker' }];
    default:
      return [{}];
  }
}

const cpuSince = (start: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(start);
  return round((d.user + d.system) / 1e6, 1);
};

const loadNow = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

async function openHub(home: string, cacheSeconds: number): Promise<Hub> {
  const config = loadConfig({
    env: {},
    flags: { home, port: 0, logLevel: 'silent', analytics: { cacheSeconds }, rateLimit: { enabled: false } },
  });
  return createHub({ config });
}

function invoker(hub: Hub) {
  return (name: string, input: unknown) =>
    hub.invoker.invoke(
      hub.invoker.get(name),
      { caller: admin, services: hub.services, requestId: 'bench', logger: hub.logger, surface: 'internal' },
      input,
    ) as Promise<Record<string, unknown>>;
}

/** The main list's length in an answer (agents, series, operations, nodes, ...). */
function rowsOf(answer: Record<string, unknown>): number | undefined {
  for (const v of Object.values(answer)) if (Array.isArray(v)) return v.length;
  return undefined;
}

export async function runAnalyticsBench(
  o: AnalyticsBenchOptions,
  log: (line: string) => void,
): Promise<AnalyticsResult> {
  const started = performance.now();
  const result: AnalyticsResult = {
    messages: o.messages,
    agents: AGENTS,
    projects: PROJECTS,
    days: DAYS,
    load: { start: loadNow() },
    ops: [],
  };
  const home = mkdtempSync(join(tmpdir(), 'switchboard-bench-analytics-'));
  trackDir(home);
  let hub: Hub | undefined;
  try {
    // ---- fill
    hub = await openHub(home, 0);
    const call = invoker(hub);
    const agents: Array<{ id: string; project: string }> = [];
    for (let i = 0; i < AGENTS; i++) {
      const project = `proj-${i % PROJECTS}`;
      const r = await call('register_agent', {
        name: `agent-${i}`,
        project,
        role: ROLES[Math.floor(i / PROJECTS) % ROLES.length],
        capabilities: [CAPS[i % CAPS.length], CAPS[(i + 2) % CAPS.length]],
      });
      agents.push({ id: r.agent_id as string, project });
    }
    const db = (hub.store as SqliteStore).db;
    let shown = 0;
    let cpu = process.cpuUsage();
    result.fill = await fillMessages(db, agents, {
      messages: o.messages,
      days: DAYS,
      progress: (n) => {
        if (n - shown >= 250_000) {
          shown = n;
          log(`analytics: ${n.toLocaleString('en-US')} messages written`);
        }
      },
    });
    log(
      `analytics: ${result.fill.messages.toLocaleString('en-US')} messages, ${result.fill.deliveries.toLocaleString('en-US')} deliveries, ` +
        `${result.fill.threads.toLocaleString('en-US')} threads written in ${round(result.fill.seconds, 1)} s`,
    );
    result.fillCpuSeconds = cpuSince(cpu);
    // ---- rebuild
    const t0 = performance.now();
    cpu = process.cpuUsage();
    result.rebuilt = await call('analytics_rebuild', {});
    result.rebuildSeconds = round((performance.now() - t0) / 1000, 1);
    result.rebuildCpuSeconds = cpuSince(cpu);
    log(`analytics: analytics_rebuild took ${result.rebuildSeconds} s (${JSON.stringify(result.rebuilt)})`);
    db.pragma('wal_checkpoint(TRUNCATE)');
    result.dbMiB = round(statSync(join(home, 'switchboard.db')).size / 2 ** 20, 1);

    // ---- uncached: every read-only analytics op, each sample input
    const ops = catalog.filter((op) => op.group === 'analytics' && op.annotations?.readOnly === true);
    const budgetMs = o.quick ? 3_000 : 12_000;
    const maxRuns = o.quick ? 10 : 30;
    for (const op of ops) {
      const ids = agents.filter((a) => a.project === 'proj-0').map((a) => a.id);
      for (const input of samples(op.name, 'proj-0', ids)) {
        const t: OpTiming = { op: op.name, input };
        result.ops.push(t);
        try {
          const w = performance.now();
          const first = await call(op.name, input); // warm-up (statements prepared, pages cached)
          t.rows = rowsOf(first);
          // At least 5 runs; 3 for an op that takes seconds, so the section stays within minutes.
          const minRuns = performance.now() - w > 1000 ? 3 : 5;
          const times: number[] = [];
          const until = performance.now() + budgetMs;
          while (times.length < maxRuns && (times.length < minRuns || performance.now() < until)) {
            const s = performance.now();
            const a = await call(op.name, input);
            times.push(performance.now() - s);
            if (a.cached === true) throw new Error('answer came from the cache with cacheSeconds 0');
          }
          const st = summarize(times);
          t.uncached = { n: st.n, p50: round(st.p50, 3), p99: round(st.p99, 3), max: round(st.max, 3) };
          log(
            `analytics: ${op.name} ${JSON.stringify(input)} uncached p50 ${t.uncached.p50} ms p99 ${t.uncached.p99} ms`,
          );
        } catch (err) {
          t.error = (err instanceof Error ? err.message : String(err)).slice(0, 300);
          log(`analytics: ${op.name} ${JSON.stringify(input)} failed: ${t.error}`);
        }
      }
    }
    await hub.close();
    hub = undefined;

    // ---- cached: the same file, a long TTL
    hub = await openHub(home, 3600);
    const cachedCall = invoker(hub);
    for (const t of result.ops) {
      if (t.error) continue;
      await cachedCall(t.op, t.input); // the miss that fills the cache
      const times: number[] = [];
      for (let i = 0; i < 500; i++) {
        const s = performance.now();
        const a = await cachedCall(t.op, t.input);
        times.push(performance.now() - s);
        if (a.cached === false) throw new Error(`${t.op}: a repeated call was not served from the cache`);
      }
      const st = summarize(times);
      t.cached = { n: st.n, p50: round(st.p50, 4), p99: round(st.p99, 4) };
    }
    await hub.close();
    hub = undefined;
    removeDir(home);

    // ---- the send path with and without rollups
    result.send = await sendPathCost(o, log);
  } catch (err) {
    result.error = (err instanceof Error ? err.message : String(err)).slice(0, 400);
    log(`analytics failed: ${result.error}`);
  } finally {
    await hub?.close().catch(() => {});
    removeDir(home);
    result.load.end = loadNow();
    result.seconds = round((performance.now() - started) / 1000, 1);
  }
  return result;
}

/** Alternating WebSocket saturation rounds on a hub with rollups and one without. */
async function sendPathCost(
  o: AnalyticsBenchOptions,
  log: (line: string) => void,
): Promise<AnalyticsResult['send']> {
  let on: HubProcess | undefined;
  let off: HubProcess | undefined;
  let pOn: WsPairs | undefined;
  let pOff: WsPairs | undefined;
  try {
    on = await startHub({ config: { analytics: { enabled: true } } });
    off = await startHub({ config: { analytics: { enabled: false } } });
    pOn = await WsPairs.open(on, 10, o.body);
    pOff = await WsPairs.open(off, 10, o.body);
    await pOn.run({ durationMs: o.warmupMs, window: o.window });
    await pOff.run({ durationMs: o.warmupMs, window: o.window });
    const rounds: SendRound[] = [];
    const n = o.quick ? 3 : 5;
    for (let i = 0; i < n; i++) {
      // Alternate which goes first, so a drift in the machine's load falls on both alike.
      const first = i % 2 === 0 ? pOn : pOff;
      const second = i % 2 === 0 ? pOff : pOn;
      const a = await first.run({ durationMs: o.saturationMs, window: o.window });
      const b = await second.run({ durationMs: o.saturationMs, window: o.window });
      const [rOn, rOff] = i % 2 === 0 ? [a, b] : [b, a];
      if (rOn.errors + rOff.errors > 0) throw new Error(`send errors: ${rOn.firstError ?? rOff.firstError}`);
      rounds.push({
        on: rOn.deliveredPerSec,
        off: rOff.deliveredPerSec,
        ratio: round(rOn.deliveredPerSec / rOff.deliveredPerSec, 3),
        onPerCpuS: rOn.perHubCpuSecond,
        offPerCpuS: rOff.perHubCpuSecond,
        cpuRatio: round(rOn.perHubCpuSecond / rOff.perHubCpuSecond, 3),
      });
      log(
        `analytics: send round ${i + 1}: rollups on ${rOn.deliveredPerSec} msg/s, off ${rOff.deliveredPerSec} msg/s (${rounds.at(-1)!.ratio}×)`,
      );
    }
    return {
      rounds,
      medianOn: round(median(rounds.map((r) => r.on)), 0),
      medianOff: round(median(rounds.map((r) => r.off)), 0),
      medianRatio: round(median(rounds.map((r) => r.ratio)), 3),
      medianCpuRatio: round(median(rounds.map((r) => r.cpuRatio)), 3),
    };
  } finally {
    await pOn?.close().catch(() => {});
    await pOff?.close().catch(() => {});
    await on?.stop();
    await off?.stop();
  }
}

const ms = (x: number | undefined, digits = 1) => (x === undefined ? '-' : x.toFixed(digits));

export function renderAnalytics(r: AnalyticsResult): string {
  const lines = [
    `(j) Analytics with ${r.messages.toLocaleString('en-US')} messages (${r.agents} agents in ${r.projects} projects, threads of 2–30 messages over ${r.days} days), ` +
      `load ${r.load.start} → ${r.load.end ?? '?'}`,
  ];
  if (r.fill)
    lines.push(
      `    data: ${r.fill.deliveries.toLocaleString('en-US')} deliveries, ${r.fill.threads.toLocaleString('en-US')} threads, ` +
        `written in ${ms(r.fill.seconds)} s (CPU ${ms(r.fillCpuSeconds)} s); analytics_rebuild ${ms(r.rebuildSeconds)} s (CPU ${ms(r.rebuildCpuSeconds)} s); file ${ms(r.dbMiB)} MiB`,
    );
  const rows = [['op', 'input', 'runs', 'uncached p50 ms', 'p99 ms', 'cached p50 ms', 'rows']];
  const failed: string[] = [];
  for (const t of r.ops) {
    if (t.error) {
      rows.push([t.op, JSON.stringify(t.input).slice(0, 60), 'FAILED', '-', '-', '-', '-']);
      failed.push(`    ${t.op} failed: ${t.error}`);
      continue;
    }
    rows.push([
      t.op,
      JSON.stringify(t.input).slice(0, 60),
      String(t.uncached?.n ?? '-'),
      ms(t.uncached?.p50),
      ms(t.uncached?.p99),
      ms(t.cached?.p50, 3),
      String(t.rows ?? '-'),
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((x) => x[c].length)));
  rows.forEach((x, i) => {
    lines.push(
      '    ' + x.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '),
    );
    if (i === 0) lines.push('    ' + widths.map((w) => '-'.repeat(w)).join('  '));
  });
  lines.push(...failed);
  lines.push(
    '    uncached: analytics.cacheSeconds 0, through the Invoker as the admin, after one warm-up call (3–30 runs within ~12 s); p99 of ≤30 runs is near the max',
  );
  if (r.send) {
    lines.push(
      `    send path (WebSocket saturation, 10 pairs, ${r.send.rounds.length} alternating rounds): rollups on ${r.send.medianOn.toLocaleString('en-US')} msg/s, ` +
        `off ${r.send.medianOff.toLocaleString('en-US')} msg/s; on ÷ off ${r.send.medianRatio} (msg per hub CPU-s ${r.send.medianCpuRatio}); ` +
        `per round ${r.send.rounds.map((x) => x.ratio).join(', ')}`,
    );
  }
  if (r.error) lines.push(`    error: ${r.error}`);
  return lines.join('\n');
}
