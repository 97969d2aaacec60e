/**
 * `npm run bench` — Switchboard's performance benchmark (not a test).
 *
 *   (a) durable WebSocket messaging between N agent pairs: a fixed offered rate and saturation
 *       (bounded window of unacknowledged sends); delivered msg/s, end-to-end and ack latency
 *   (b) MCP `send_message` → `wait_for_messages` round trip through /mcp with two SDK clients
 *   (c) hub RSS per idle WebSocket agent at 1k and 5k sockets
 *   (d) Redis pub/sub and Redis Streams baselines in the same run (if redis-server is installed),
 *       interleaved with the hub's saturation repetitions, and the hub's ratio to each
 *   (e) task claim throughput, (f) shared context latency, (g) gateway tool calls through the hub
 *       and through the peer gateways mcp-proxy and mcp-hub (npm devDependencies), side by side
 *   (h) instances: spawn → ready through the hub ÷ the scripted agent started bare, send_to_instance
 *       round trip against GET /health, many spawns at once
 *   (i) tools/list size per tool profile and caller kind (tools, bytes, estimated tokens)
 *   (j) analytics with 1M messages in the store: each analytics op uncached p50/p99 and cached p50,
 *       the rollup rebuild's time, and the send path's msg/s with and without rollups
 *   (k) stores and the cluster: (a) on SQLite, on PostgreSQL with one node, and across two nodes
 *       (senders on one, receivers on the other) in the same run; and the push latency at a low rate
 *
 * Every figure is the median over repetitions after a warm-up. Hubs and redis-server run as child
 * processes on loopback and are always stopped. Prints a table, then issue 14's aims (bench/lib/aims.ts:
 * each figure with its same-run reference, ratio and aim, and the load at the start and end); writes
 * JSON to bench-results/<timestamp>.json. `--quick` is a ~30 s smoke run; `--profile` adds CPU profiles of
 * the hub (`node --cpu-prof`) at WebSocket saturation and serving MCP round trips (each era), summarized in the
 * table; the .cpuprofile files are kept next to the JSON (open them in Chrome DevTools).
 *
 * Options: --quick  --profile  --only=ws,mcp,memory,redis,tasks,context,gateway,instances,tools,analytics,cluster  --pairs=10  --rate=5000  --window=32
 *          --batch=16 (messages per send_batch frame in the batched saturation runs; 1: none)  --body=100  --reps=3  --mcp-rounds=200  --sockets=1000,5000  --out=bench-results
 *          --messages=1000000 (analytics; or SWITCHBOARD_BENCH_MESSAGES; --quick: 100000)
 *          --compare-bin=<other checkout>/bin/switchboard.js  (A/B: that build's fixed-rate and saturation runs,
 *          (b) MCP round trips and (g) gateway calls interleaved with this one's, and the ratios
 *          printed; it must be built)
 *          --compare-node-args="--max-semi-space-size=64"  (node flags for (a)'s comparison hub; without
 *          --compare-bin, the comparison hub is this build with those flags)
 *          --compare-config='{"analytics":{"enabled":false}}'  (hub config for (a)'s comparison hub, e.g. to
 *          measure what a feature costs per message; without --compare-bin, this build with that config)
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { computeAims, renderAims } from './lib/aims.js';
import { removeDir, trackDir, watchdog } from './lib/children.js';
import { type ProfileSummary, summarizeProfile } from './lib/cpuprofile.js';
import { type HubProcess, registerAgent, repoRoot, startHub } from './lib/hub.js';
import { machineLoad } from './lib/machine.js';
import { type Options, parseOptions } from './lib/options.js';
import { median, medianOf, round } from './lib/stats.js';
import { idleMemory, type MemoryResult } from './scenarios/idle-memory.js';
import { type McpEra, McpPair, type McpRep, probeMcp, startMcpFloor } from './scenarios/mcp-roundtrip.js';
import { findRedisServer, RedisBaseline, type RedisRep } from './scenarios/redis-baselines.js';
import { type AnalyticsResult, renderAnalytics, runAnalyticsBench } from './scenarios/analytics.js';
import { type ClusterResult, renderCluster, runClusterBench } from './scenarios/cluster.js';
import { concurrentSets, type ContextResult, renderContext, runContextBench } from './scenarios/context.js';
import { type GatewayResult, renderGateway, runGatewayBench } from './scenarios/gateway.js';
import { type InstancesResult, renderInstances, runInstancesBench } from './scenarios/instances.js';
import { renderTasks, runTaskBench, type TasksResult } from './scenarios/tasks-run.js';
import { renderToolList, runToolListBench, type ToolListResult } from './scenarios/tool-list.js';
import { type FloorResult, WsFloors } from './scenarios/ws-floors.js';
import { WsPairs, type WsRep } from './scenarios/ws-throughput.js';

// ---------------------------------------------------------------- results

interface Results {
  ws?: {
    pairs: number;
    bodyBytes: number;
    /** The floors (bench/scenarios/ws-floors.ts): the same pairs against a bare Node relay, in memory and durable. */
    floors?: FloorResult[];
    rate?: { offeredRate: number; reps: WsRep[]; median: WsSummary };
    saturation?: { windowPerSender: number; reps: WsRep[]; median: WsSummary };
    /**
     * Saturation with the senders' messages in `send_batch` frames of `batch`, each repetition right
     * after a per-message one; ratio = batched ÷ per-message delivered msg/s, per repetition.
     */
    batched?: {
      batch: number;
      reps: WsRep[];
      median: WsSummary;
      ratios: number[];
      medianRatio: number;
      cpuRatios: number[];
      medianCpuRatio: number;
    };
    /** --compare-bin: the other build at saturation, interleaved; ratio = other ÷ this, per repetition. */
    compare?: {
      bin: string;
      /** --compare-config: the comparison hub's config. */
      config?: Record<string, unknown>;
      reps: WsRep[];
      median?: WsSummary;
      ratios: number[];
      medianRatio?: number;
      /** Same, for delivered messages per hub CPU-second (steadier on a busy machine). */
      cpuRatios: number[];
      medianCpuRatio?: number;
      /** The other build at the fixed rate, repetitions interleaved (order alternating); p99 ratio other ÷ this. */
      rate?: { reps: WsRep[]; median: WsSummary; p99Ratios: number[]; medianP99Ratio: number };
      error?: string;
    };
    error?: string;
  };
  redis?: {
    skipped?: string;
    version?: string;
    pubsub?: { reps: RedisRep[]; median: RedisSummary };
    streams?: { reps: RedisRep[]; median: RedisSummary };
    /** Hub saturation delivered msg/s ÷ Redis msg/s, per interleaved repetition, and their median. */
    ratio?: {
      pubsub: number[];
      streams: number[];
      medianPubsub: number;
      medianStreams: number;
      /** The batched saturation runs (send_batch frames) ÷ pub/sub. */
      batchedPubsub?: number[];
      medianBatchedPubsub?: number;
    };
    error?: string;
  };
  mcp?: {
    skipped?: string;
    eras: McpEraResult[];
  };
  memory?: MemoryResult & { error?: string };
  profiles?: ProfileResult[];
  tasks?: TasksResult;
  context?: ContextResult;
  gateway?: GatewayResult;
  instances?: InstancesResult;
  tools?: ToolListResult;
  analytics?: AnalyticsResult;
  cluster?: ClusterResult;
}

type WsSummary = {
  deliveredPerSec: number;
  sendRate: number;
  e2eP50: number;
  e2eP99: number;
  ackP50: number;
  ackP99: number;
  hubCpuPct: number;
  hubRunqueueWaitPct: number;
  perHubCpuSecond: number;
  clientCpuPct: number;
  lost: number;
  errors: number;
};
type RedisSummary = {
  perSec: number;
  e2eP50: number;
  e2eP99: number;
  serverCpuPct: number;
  runqueueWaitPct: number;
  clientCpuPct: number;
};
interface McpEraResult {
  era: McpEra;
  reps?: McpRep[];
  median?: McpSummary;
  error?: string;
  /** --compare-bin: the other build, interleaved; ratios other ÷ this per repetition. */
  compare?: {
    reps: McpRep[];
    median: McpSummary;
    rtP50Ratios: number[];
    medianRtP50Ratio: number;
    hubCpuRatios: number[];
    medianHubCpuRatio: number;
  };
  /**
   * The SDK floor (bench/scenarios/mcp-floor-server.ts: the two tools answered from memory by the
   * SDK's documented wiring), interleaved; ratios this hub ÷ the floor per repetition.
   */
  floor?: {
    reps: McpRep[];
    median: McpSummary;
    rtP50Ratios: number[];
    medianRtP50Ratio: number;
  };
  floorError?: string;
}

type McpSummary = {
  rtP50: number;
  rtP99: number;
  sendP50: number;
  sendP99: number;
  perSec: number;
  hubCpuMsPerRoundTrip: number;
  clientCpuMsPerRoundTrip: number;
  serverSendOpMs: number;
  /** Where a round trip goes (medians of the repetitions' p50s, ms; see bench/scenarios/mcp-roundtrip.ts). */
  split: { httpMs: number; noToolMs: number; afterSendMs: number };
};

const wsSummary = (reps: WsRep[]): WsSummary => ({
  deliveredPerSec: medianOf(reps, (r) => r.deliveredPerSec),
  sendRate: medianOf(reps, (r) => r.sendRate),
  e2eP50: medianOf(reps, (r) => r.e2eMs.p50),
  e2eP99: medianOf(reps, (r) => r.e2eMs.p99),
  ackP50: medianOf(reps, (r) => r.ackMs.p50),
  ackP99: medianOf(reps, (r) => r.ackMs.p99),
  hubCpuPct: medianOf(reps, (r) => r.hubCpuPct),
  hubRunqueueWaitPct: medianOf(reps, (r) => r.hubRunqueueWaitPct),
  perHubCpuSecond: medianOf(reps, (r) => r.perHubCpuSecond),
  clientCpuPct: medianOf(reps, (r) => r.clientCpuPct),
  lost: reps.reduce((s, r) => s + r.lost, 0),
  errors: reps.reduce((s, r) => s + r.errors, 0),
});
const redisSummary = (reps: RedisRep[]): RedisSummary => ({
  perSec: medianOf(reps, (r) => r.perSec),
  e2eP50: medianOf(reps, (r) => r.e2eMs.p50),
  e2eP99: medianOf(reps, (r) => r.e2eMs.p99),
  serverCpuPct: medianOf(reps, (r) => r.redisCpuPct),
  runqueueWaitPct: medianOf(reps, (r) => r.redisRunqueueWaitPct),
  clientCpuPct: medianOf(reps, (r) => r.clientCpuPct),
});
const mcpSummary = (reps: McpRep[]): McpSummary => ({
  rtP50: medianOf(reps, (r) => r.rtMs.p50),
  rtP99: medianOf(reps, (r) => r.rtMs.p99),
  sendP50: medianOf(reps, (r) => r.sendMs.p50),
  sendP99: medianOf(reps, (r) => r.sendMs.p99),
  perSec: medianOf(reps, (r) => r.perSec),
  hubCpuMsPerRoundTrip: medianOf(reps, (r) => r.hubCpuMsPerRoundTrip),
  clientCpuMsPerRoundTrip: medianOf(reps, (r) => r.clientCpuMsPerRoundTrip),
  serverSendOpMs: medianOf(reps, (r) => r.serverSendOpMs),
  split: {
    httpMs: medianOf(reps, (r) => r.split.httpMs),
    noToolMs: medianOf(reps, (r) => r.split.noToolMs),
    afterSendMs: medianOf(reps, (r) => r.split.afterSendMs),
  },
});

const log = (line: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const errText = (err: unknown) =>
  (err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 400);

// ---------------------------------------------------------------- sections

/** (a) and (d): fixed rate, then saturation interleaved with the Redis baselines. */
async function runWsAndRedis(o: Options, results: Results): Promise<void> {
  const wantWs = o.only.has('ws');
  const wantRedis = o.only.has('redis');
  let redis: RedisBaseline | undefined;
  if (wantRedis) {
    const bin = findRedisServer();
    if (!bin) {
      results.redis = { skipped: 'redis-server not installed, baselines skipped' };
      log(results.redis.skipped!);
    } else {
      try {
        redis = await RedisBaseline.start(bin);
        results.redis = { version: redis.version };
        log(`redis-server ${redis.version} on 127.0.0.1:${redis.port} (persistence off)`);
      } catch (err) {
        results.redis = { error: `redis-server failed to start: ${errText(err)}` };
        log(results.redis.error!);
      }
    }
  }
  let hub: HubProcess | undefined;
  let pairs: WsPairs | undefined;
  let hubB: HubProcess | undefined;
  let pairsB: WsPairs | undefined;
  let rateCompare: NonNullable<NonNullable<Results['ws']>['compare']>['rate'];
  let floors: WsFloors | undefined;
  try {
    if (wantWs && o.compareBin) {
      try {
        hubB = await startHub({ bin: o.compareBin, nodeArgs: o.compareNodeArgs, config: o.compareConfig });
        log(
          `comparison hub ${hubB.url} (pid ${hubB.pid}) from ${o.compareBin}${o.compareNodeArgs.length ? ` with node ${o.compareNodeArgs.join(' ')}` : ''}${o.compareConfig ? ` with config ${JSON.stringify(o.compareConfig)}` : ''}`,
        );
        pairsB = await WsPairs.open(hubB, o.pairs, o.body);
      } catch (err) {
        log(`comparison hub failed: ${errText(err)}`);
        pairsB = undefined;
      }
    }
    if (wantWs) {
      results.ws = { pairs: o.pairs, bodyBytes: o.body };
      try {
        hub = await startHub();
        log(`hub ${hub.url} (pid ${hub.pid}); ${o.pairs} WebSocket pairs`);
        pairs = await WsPairs.open(hub, o.pairs, o.body);
        log('warm-up');
        // Both builds warm up one after the other, then take turns at the fixed rate (the comparison
        // build first in even repetitions), so neither is always the one fresh from saturation.
        if (pairsB) {
          try {
            await pairsB.run({ durationMs: o.warmupMs, rate: o.rate });
            await pairsB.run({ durationMs: o.warmupMs, window: o.window });
          } catch (err) {
            log(`comparison hub failed: ${errText(err)}`);
            pairsB = undefined;
          }
        }
        await pairs.run({ durationMs: o.warmupMs, rate: o.rate });
        await pairs.run({ durationMs: o.warmupMs, window: o.window });
        floors = await WsFloors.open(o.pairs, o.body, log);
        await floors.warm(o.warmupMs, o.rate, o.window);
        const rateReps: WsRep[] = [];
        const rateRepsB: WsRep[] = [];
        const p99Ratios: number[] = [];
        const rateB = async (i: number): Promise<WsRep | undefined> => {
          if (!pairsB) return undefined;
          try {
            const b = await pairsB.run({ durationMs: o.rateMs, rate: o.rate });
            log(
              `comparison build fixed rate rep ${i + 1}: ${b.deliveredPerSec} msg/s, e2e p50 ${b.e2eMs.p50} ms p99 ${b.e2eMs.p99} ms${b.overloaded ? ' (overloaded)' : ''}`,
            );
            return b;
          } catch (err) {
            log(`comparison build failed: ${errText(err)}`);
            pairsB = undefined;
            return undefined;
          }
        };
        for (let i = 0; i < o.reps; i++) {
          const bFirst = i % 2 === 0 ? await rateB(i) : undefined;
          const r = await pairs.run({ durationMs: o.rateMs, rate: o.rate });
          rateReps.push(r);
          log(
            `fixed rate ${o.rate}/s rep ${i + 1}: ${r.deliveredPerSec} msg/s, e2e p50 ${r.e2eMs.p50} ms p99 ${r.e2eMs.p99} ms${r.overloaded ? ' (overloaded)' : ''}`,
          );
          await floors.rate(o.rateMs, o.rate, log);
          const b = i % 2 === 0 ? bFirst : await rateB(i);
          if (b) {
            rateRepsB.push(b);
            p99Ratios.push(round(b.e2eMs.p99 / r.e2eMs.p99, 3));
          }
        }
        results.ws.rate = { offeredRate: o.rate, reps: rateReps, median: wsSummary(rateReps) };
        if (rateRepsB.length) {
          rateCompare = {
            reps: rateRepsB,
            median: wsSummary(rateRepsB),
            p99Ratios,
            medianP99Ratio: round(median(p99Ratios), 3),
          };
        }
      } catch (err) {
        results.ws.error = errText(err);
        log(`ws failed: ${results.ws.error}${hub ? `\n${hub.stderrTail().slice(-800)}` : ''}`);
        pairs = undefined;
      }
    }
    if (redis && results.redis) {
      log('redis warm-up');
      await redis.pubsub(o.warmupMs, o.body);
      await redis.streams(o.warmupMs, o.body);
    }
    const satReps: WsRep[] = [];
    const batchedReps: WsRep[] = [];
    const batchedRatios: number[] = [];
    const batchedCpuRatios: number[] = [];
    const compareReps: WsRep[] = [];
    const compareRatios: number[] = [];
    const compareCpuRatios: number[] = [];
    const pubsubReps: RedisRep[] = [];
    const streamsReps: RedisRep[] = [];
    const ratioPub: number[] = [];
    const ratioStreams: number[] = [];
    const ratioBatchedPub: number[] = [];
    for (let i = 0; i < o.reps; i++) {
      let sat: WsRep | undefined;
      if (pairs && results.ws && !results.ws.error) {
        try {
          sat = await pairs.run({ durationMs: o.saturationMs, window: o.window });
          satReps.push(sat);
          log(
            `saturation rep ${i + 1}: ${sat.deliveredPerSec} msg/s, e2e p50 ${sat.e2eMs.p50} ms, hub CPU ${sat.hubCpuPct}%, runqueue wait ${sat.hubRunqueueWaitPct}%`,
          );
          if (o.batch > 1) {
            const b = await pairs.run({ durationMs: o.saturationMs, window: o.window, batch: o.batch });
            batchedReps.push(b);
            batchedRatios.push(round(b.deliveredPerSec / sat.deliveredPerSec, 3));
            batchedCpuRatios.push(round(b.perHubCpuSecond / sat.perHubCpuSecond, 3));
            log(
              `batched saturation rep ${i + 1} (send_batch of ${o.batch}): ${b.deliveredPerSec} msg/s (${batchedRatios.at(-1)}× per-message frames), e2e p50 ${b.e2eMs.p50} ms, hub CPU ${b.hubCpuPct}%, runqueue wait ${b.hubRunqueueWaitPct}%`,
            );
          }
        } catch (err) {
          results.ws.error = errText(err);
          log(`ws saturation failed: ${results.ws.error}`);
        }
      }
      await floors?.saturation(o.saturationMs, o.window, sat, log);
      if (pairsB && sat) {
        try {
          const b = await pairsB.run({ durationMs: o.saturationMs, window: o.window });
          compareReps.push(b);
          compareRatios.push(round(b.deliveredPerSec / sat.deliveredPerSec, 3));
          compareCpuRatios.push(round(b.perHubCpuSecond / sat.perHubCpuSecond, 3));
          log(
            `comparison build rep ${i + 1}: ${b.deliveredPerSec} msg/s (${compareRatios.at(-1)}× this build)`,
          );
        } catch (err) {
          log(`comparison build failed: ${errText(err)}`);
          pairsB = undefined;
        }
      }
      if (redis && results.redis && !results.redis.error) {
        try {
          const p = await redis.pubsub(o.redisMs, o.body);
          pubsubReps.push(p);
          const s = await redis.streams(o.redisMs, o.body);
          streamsReps.push(s);
          log(`redis rep ${i + 1}: pub/sub ${p.perSec} msg/s, streams ${s.perSec} msg/s`);
          if (sat) {
            ratioPub.push(round(sat.deliveredPerSec / p.perSec, 3));
            ratioStreams.push(round(sat.deliveredPerSec / s.perSec, 3));
          }
          const batched = batchedReps.length === i + 1 ? batchedReps[i] : undefined;
          if (batched) ratioBatchedPub.push(round(batched.deliveredPerSec / p.perSec, 3));
        } catch (err) {
          results.redis.error = errText(err);
          log(`redis failed: ${results.redis.error}`);
        }
      }
    }
    if (floors && results.ws) results.ws.floors = floors.results();
    if (satReps.length && results.ws) {
      results.ws.saturation = { windowPerSender: o.window, reps: satReps, median: wsSummary(satReps) };
    }
    if (batchedReps.length && results.ws) {
      results.ws.batched = {
        batch: o.batch,
        reps: batchedReps,
        median: wsSummary(batchedReps),
        ratios: batchedRatios,
        medianRatio: round(median(batchedRatios), 3),
        cpuRatios: batchedCpuRatios,
        medianCpuRatio: round(median(batchedCpuRatios), 3),
      };
    }
    if (o.compareBin && results.ws) {
      results.ws.compare = {
        bin: o.compareBin,
        config: o.compareConfig,
        reps: compareReps,
        median: compareReps.length ? wsSummary(compareReps) : undefined,
        ratios: compareRatios,
        medianRatio: compareRatios.length ? round(median(compareRatios), 3) : undefined,
        cpuRatios: compareCpuRatios,
        medianCpuRatio: compareCpuRatios.length ? round(median(compareCpuRatios), 3) : undefined,
        rate: rateCompare,
        error: compareReps.length ? undefined : 'the comparison build did not run (see the log)',
      };
    }
    if (results.redis && pubsubReps.length) {
      results.redis.pubsub = { reps: pubsubReps, median: redisSummary(pubsubReps) };
      results.redis.streams = { reps: streamsReps, median: redisSummary(streamsReps) };
      if (ratioPub.length) {
        results.redis.ratio = {
          pubsub: ratioPub,
          streams: ratioStreams,
          medianPubsub: round(median(ratioPub), 3),
          medianStreams: round(median(ratioStreams), 3),
          batchedPubsub: ratioBatchedPub.length ? ratioBatchedPub : undefined,
          medianBatchedPubsub: ratioBatchedPub.length ? round(median(ratioBatchedPub), 3) : undefined,
        };
      }
    }
  } finally {
    await floors?.close();
    await pairs?.close().catch(() => {});
    await pairsB?.close().catch(() => {});
    await hub?.stop();
    await hubB?.stop();
    await redis?.stop();
  }
}

/**
 * (b) MCP round trips, 2025-era session protocol ('legacy') and, if it works, 2026-07-28 ('auto').
 * With --compare-bin, the other build's hub runs the same pairs, its repetitions interleaved with
 * this build's, and the per-repetition ratios (other ÷ this) of the round trip p50 are kept.
 */
async function runMcp(o: Options, results: Results): Promise<void> {
  const hub = await startHub();
  const other = o.compareBin ? await startHub({ bin: o.compareBin }).catch(() => undefined) : undefined;
  if (o.compareBin)
    log(other ? `mcp comparison hub from ${o.compareBin}` : 'mcp comparison hub failed to start');
  let floorError: string | undefined;
  const floor = await startMcpFloor().catch((err: unknown) => {
    floorError = errText(err);
    log(`mcp SDK floor failed to start: ${floorError}`);
    return undefined;
  });
  try {
    const missing = await probeMcp(hub.url);
    if (missing) {
      results.mcp = { skipped: missing, eras: [] };
      log(`mcp skipped: ${missing}`);
      return;
    }
    results.mcp = { eras: [] };
    for (const era of ['legacy', 'auto'] as McpEra[]) {
      const entry: McpEraResult = { era };
      results.mcp.eras.push(entry);
      let pair: McpPair | undefined;
      let otherPair: McpPair | undefined;
      let floorPair: McpPair | undefined;
      if (floorError) entry.floorError = floorError;
      try {
        pair = await McpPair.open(hub, era, o.body);
        if (other) otherPair = await McpPair.open(other, era, o.body);
        if (floor)
          floorPair = await McpPair.open(floor, era, o.body).catch((err: unknown) => {
            entry.floorError = errText(err);
            return undefined;
          });
        await pair.run(o.mcpWarmup, false);
        await otherPair?.run(o.mcpWarmup, false);
        await floorPair?.run(o.mcpWarmup, false);
        const reps: McpRep[] = [];
        const otherReps: McpRep[] = [];
        const floorReps: McpRep[] = [];
        for (let i = 0; i < o.reps; i++) {
          const r = await pair.run(o.mcpRounds);
          reps.push(r);
          log(`mcp ${era} rep ${i + 1}: round trip p50 ${r.rtMs.p50} ms p99 ${r.rtMs.p99} ms`);
          if (floorPair) {
            const f = await floorPair.run(o.mcpRounds);
            floorReps.push(f);
            log(`mcp ${era} rep ${i + 1} (SDK floor): round trip p50 ${f.rtMs.p50} ms p99 ${f.rtMs.p99} ms`);
          }
          if (otherPair) {
            const c = await otherPair.run(o.mcpRounds);
            otherReps.push(c);
            log(
              `mcp ${era} rep ${i + 1} (compare-bin): round trip p50 ${c.rtMs.p50} ms p99 ${c.rtMs.p99} ms`,
            );
          }
        }
        entry.reps = reps;
        entry.median = mcpSummary(reps);
        if (floorReps.length) {
          const ratios = floorReps.map((f, i) => round(reps[i].rtMs.p50 / f.rtMs.p50, 2));
          entry.floor = {
            reps: floorReps,
            median: mcpSummary(floorReps),
            rtP50Ratios: ratios,
            medianRtP50Ratio: round(median(ratios), 2),
          };
        }
        if (otherReps.length) {
          const ratios = otherReps.map((c, i) => round(c.rtMs.p50 / reps[i].rtMs.p50, 2));
          const cpuRatios = otherReps.map((c, i) =>
            round(c.hubCpuMsPerRoundTrip / reps[i].hubCpuMsPerRoundTrip, 2),
          );
          entry.compare = {
            reps: otherReps,
            median: mcpSummary(otherReps),
            rtP50Ratios: ratios,
            medianRtP50Ratio: round(median(ratios), 2),
            hubCpuRatios: cpuRatios,
            medianHubCpuRatio: round(median(cpuRatios), 2),
          };
        }
      } catch (err) {
        entry.error = errText(err);
        log(`mcp ${era} failed: ${entry.error}`);
      } finally {
        await pair?.close();
        await otherPair?.close();
        await floorPair?.close();
      }
    }
  } finally {
    await hub.stop();
    await other?.stop();
    await floor?.stop();
  }
}

type ProfileResult =
  | (ProfileSummary & { label: string; windowed: boolean; workload: Record<string, unknown> })
  | { label: string; error: string };

/**
 * Runs `workload` against a hub started under `node --cpu-prof`, then summarizes only the samples
 * taken while `measure` ran (the warm-up and startup are left out). The .cpuprofile is kept.
 */
async function profileHub(
  o: Options,
  stamp: string,
  label: string,
  slug: string,
  workload: (hub: HubProcess) => Promise<{
    warm: () => Promise<unknown>;
    measure: () => Promise<Record<string, unknown>>;
    close: () => Promise<void>;
  }>,
): Promise<ProfileResult> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-prof-'));
  trackDir(dir);
  let hub: HubProcess | undefined;
  let w: Awaited<ReturnType<typeof workload>> | undefined;
  try {
    hub = await startHub({ nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir] });
    w = await workload(hub);
    await w.warm();
    const fromUs = Number(process.hrtime.bigint() / 1000n);
    const measured = await w.measure();
    const toUs = Number(process.hrtime.bigint() / 1000n);
    await w.close();
    w = undefined;
    await hub.stop(); // SIGTERM → the hub exits normally and V8 writes the profile
    hub = undefined;
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('the hub wrote no .cpuprofile (did it exit cleanly on SIGTERM?)');
    const kept = join(o.out, `${stamp}-hub-${slug}.cpuprofile`);
    copyFileSync(join(dir, file), kept);
    const summary = summarizeProfile(kept, repoRoot(), 25, { fromUs, toUs });
    return { label, ...summary, file: relative(repoRoot(), kept), workload: measured };
  } catch (err) {
    log(`profile ${slug} failed: ${errText(err)}`);
    return { label, error: errText(err) };
  } finally {
    await w?.close().catch(() => {});
    await hub?.stop();
    removeDir(dir);
  }
}

/** --profile: the hub at WebSocket saturation, serving MCP round trips (both eras), and serving set_context. */
async function runProfiles(o: Options, stamp: string): Promise<ProfileResult[]> {
  const out: ProfileResult[] = [];
  // `--only=context --profile` profiles only the context path.
  if (o.only.has('ws') || o.only.has('mcp')) {
    log(`profiling the hub at WebSocket saturation for ${o.profileMs / 1000} s`);
    out.push(
      await profileHub(o, stamp, 'WebSocket saturation', 'ws', async (hub) => {
        const pairs = await WsPairs.open(hub, o.pairs, o.body);
        return {
          warm: () => pairs.run({ durationMs: o.warmupMs, window: o.window }),
          measure: async () => {
            const r = await pairs.run({ durationMs: o.profileMs, window: o.window });
            log(
              `profiled saturation: ${r.deliveredPerSec} msg/s, hub CPU ${r.hubCpuPct}%, runqueue wait ${r.hubRunqueueWaitPct}%`,
            );
            return { ...r } as Record<string, unknown>;
          },
          close: () => pairs.close(),
        };
      }),
    );
  }
  if (o.only.has('context')) {
    const sets = o.quick ? 2000 : 8000;
    log(`profiling the hub serving ${sets} set_context calls over REST, 16 in flight`);
    out.push(
      await profileHub(o, stamp, `set_context over REST (16 in flight, ${sets})`, 'context', async (hub) => {
        const { token } = await registerAgent(hub.url, 'bench-context');
        return {
          warm: () => concurrentSets(hub, token, 500),
          measure: async () => {
            const started = performance.now();
            await concurrentSets(hub, token, sets);
            return { sets, setsPerSec: Math.round(sets / ((performance.now() - started) / 1000)) };
          },
          close: async () => {},
        };
      }),
    );
  }
  if (o.only.has('mcp')) {
    const rounds = o.quick ? 100 : 400;
    for (const era of ['legacy', 'auto'] as McpEra[]) {
      const name = era === 'legacy' ? '2025-11-25 session' : '2026-07-28';
      log(`profiling the hub serving ${rounds} MCP round trips (${name})`);
      out.push(
        await profileHub(o, stamp, `MCP round trips (${name}, ${rounds})`, `mcp-${era}`, async (hub) => {
          const missing = await probeMcp(hub.url);
          if (missing) throw new Error(missing);
          const pair = await McpPair.open(hub, era, o.body);
          return {
            warm: () => pair.run(o.mcpWarmup, false),
            measure: async () => ({ ...(await pair.run(rounds, false)) }) as Record<string, unknown>,
            close: () => pair.close(),
          };
        }),
      );
    }
  }
  return out;
}

// ---------------------------------------------------------------- table

function fmt(n: number | undefined, digits = 0): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  return digits === 0 ? Math.round(n).toLocaleString('en-US') : n.toFixed(digits);
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r, i) => {
      const line = r
        .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
        .join('  ');
      return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

function render(o: Options, r: Results, meta: Record<string, unknown>): string {
  const out: string[] = [];
  out.push(
    `Switchboard benchmark  ${meta.date}  git ${String(meta.git).slice(0, 10)}  node ${meta.node}  ${meta.cpus} CPUs  load ${meta.loadavgStart}${o.quick ? '  (--quick)' : ''}`,
  );
  out.push(
    `medians of ${o.reps} repetitions after a warm-up; latencies in ms; CPU in % of one core.\n` +
      `'runq wait': the server's main thread was runnable but waiting for a CPU (taken by other processes); ` +
      `'msg/CPU-s': delivered messages per CPU-second of the hub (steadier than msg/s on a busy machine)`,
  );
  if (r.ws) {
    out.push('');
    out.push(
      `(a) Durable messaging over WebSocket: ${r.ws.pairs} sender→receiver pairs, ${r.ws.bodyBytes}-byte bodies, ack = durable commit`,
    );
    const rows: string[][] = [
      [
        'scenario',
        'delivered msg/s',
        'msg/CPU-s',
        'e2e p50',
        'e2e p99',
        'ack p50',
        'ack p99',
        'server CPU',
        'runq wait',
        'client CPU',
        'lost',
      ],
    ];
    const add = (name: string, m: WsSummary) =>
      rows.push([
        name,
        fmt(m.deliveredPerSec),
        fmt(m.perHubCpuSecond),
        fmt(m.e2eP50, 2),
        fmt(m.e2eP99, 2),
        fmt(m.ackP50, 2),
        fmt(m.ackP99, 2),
        fmt(m.hubCpuPct),
        fmt(m.hubRunqueueWaitPct),
        fmt(m.clientCpuPct),
        fmt(m.lost),
      ]);
    if (r.ws.rate) add(`fixed rate ${fmt(r.ws.rate.offeredRate)} msg/s`, r.ws.rate.median);
    if (r.ws.saturation)
      add(`saturation (window ${r.ws.saturation.windowPerSender}/sender)`, r.ws.saturation.median);
    if (r.ws.batched)
      add(
        `saturation, send_batch frames of ${r.ws.batched.batch} (window ${r.ws.saturation?.windowPerSender ?? '?'})`,
        r.ws.batched.median,
      );
    if (r.ws.compare?.rate) add(`fixed rate, --compare-bin build`, r.ws.compare.rate.median);
    if (r.ws.compare?.median) add('saturation, --compare-bin build', r.ws.compare.median);
    if (r.redis?.pubsub) {
      rows.push([
        'redis pub/sub (baseline)',
        fmt(r.redis.pubsub.median.perSec),
        '-',
        fmt(r.redis.pubsub.median.e2eP50, 2),
        fmt(r.redis.pubsub.median.e2eP99, 2),
        '-',
        '-',
        fmt(r.redis.pubsub.median.serverCpuPct),
        fmt(r.redis.pubsub.median.runqueueWaitPct),
        fmt(r.redis.pubsub.median.clientCpuPct),
        '-',
      ]);
    }
    if (r.redis?.streams) {
      rows.push([
        'redis streams (baseline)',
        fmt(r.redis.streams.median.perSec),
        '-',
        fmt(r.redis.streams.median.e2eP50, 2),
        fmt(r.redis.streams.median.e2eP99, 2),
        '-',
        '-',
        fmt(r.redis.streams.median.serverCpuPct),
        fmt(r.redis.streams.median.runqueueWaitPct),
        fmt(r.redis.streams.median.clientCpuPct),
        '-',
      ]);
    }
    if (rows.length > 1) out.push(table(rows));
    for (const f of r.ws.floors ?? []) {
      const m = f.median;
      const name = f.kind === 'durable' ? 'durable floor (SQLite group commit)' : 'memory floor';
      if (!m) {
        out.push(`  ${name}: FAILED ${f.error ?? 'no repetitions'}`);
        continue;
      }
      out.push(
        `  ${name}: ${fmt(m.deliveredPerSec)} msg/s saturated, ${fmt(m.perCpuSecond)} msg per CPU-s, fixed-rate e2e p99 ${fmt(m.rateE2eP99, 2)} ms at ${fmt(m.rateCpuPct)}% CPU; ` +
          `hub ÷ floor: msg/s x${f.medianHubRatio ?? '?'} (per rep ${f.hubRatios.join(', ')}), msg per CPU-s x${f.medianHubCpuRatio ?? '?'}`,
      );
    }
    if (r.ws.floors?.length)
      out.push(
        "  floors: the same pairs against bench/scenarios/ws-floor-server.ts, a bare Node relay (the hub's ws library and frames, no validation, threads, rollups or events), in memory and durable (acked after a SQLite WAL commit of one row per message)",
      );
    if (r.ws.batched)
      out.push(
        `  send_batch frames of ${r.ws.batched.batch} ÷ one send frame per message, same run: ${fmt(r.ws.batched.medianRatio, 2)}× delivered msg/s ` +
          `(per repetition: ${r.ws.batched.ratios.join(', ')}), ${fmt(r.ws.batched.medianCpuRatio, 2)}× msg per hub CPU-second (${r.ws.batched.cpuRatios.join(', ')})`,
      );
    if (r.ws.compare)
      out.push(
        r.ws.compare.medianRatio !== undefined
          ? `  --compare-bin ${r.ws.compare.bin}${r.ws.compare.config ? ` with config ${JSON.stringify(r.ws.compare.config)}` : ''}: ${fmt(r.ws.compare.medianRatio, 2)}× this build's saturation msg/s (per repetition: ${r.ws.compare.ratios.join(', ')}), ` +
              `${fmt(r.ws.compare.medianCpuRatio, 2)}× its msg per hub CPU-second (${r.ws.compare.cpuRatios.join(', ')})`
          : `  --compare-bin ${r.ws.compare.bin}: ${r.ws.compare.error}`,
      );
    if (r.ws.compare?.rate)
      out.push(
        `  --compare-bin at the fixed rate: ${fmt(r.ws.compare.rate.medianP99Ratio, 2)}× this build's e2e p99 (per repetition: ${r.ws.compare.rate.p99Ratios.join(', ')})`,
      );
    if (r.ws.error) out.push(`  FAILED: ${r.ws.error}`);
  }
  if (r.redis) {
    out.push('');
    if (r.redis.skipped) out.push(`(d) ${r.redis.skipped}`);
    else if (r.redis.ratio)
      out.push(
        `(d) hub saturation ÷ Redis ${r.redis.version} (persistence off, not durable; server CPU and runq wait = redis-server): ` +
          `${fmt(r.redis.ratio.medianPubsub, 2)}× pub/sub, ${fmt(r.redis.ratio.medianStreams, 2)}× Streams ` +
          `(medians of per-repetition ratios; pub/sub ${r.redis.ratio.pubsub.join(', ')}; Streams ${r.redis.ratio.streams.join(', ')})` +
          (r.redis.ratio.medianBatchedPubsub !== undefined
            ? `; with send_batch frames ${fmt(r.redis.ratio.medianBatchedPubsub, 2)}× pub/sub (${r.redis.ratio.batchedPubsub!.join(', ')})`
            : ''),
      );
    else if (r.redis.pubsub)
      out.push(`(d) Redis ${r.redis.version} measured; no hub saturation figure to compare with`);
    if (r.redis.error) out.push(`(d) FAILED: ${r.redis.error}`);
  }
  if (r.mcp) {
    out.push('');
    out.push(
      `(b) MCP through /mcp: A send_message → B wait_for_messages returns it (two SDK clients, ${o.mcpRounds} round trips × ${o.reps})`,
    );
    if (r.mcp.skipped) out.push(`  skipped: ${r.mcp.skipped}`);
    const rows: string[][] = [
      [
        'protocol',
        'round trip p50',
        'round trip p99',
        'send_message p50',
        'send_message p99',
        'round trips/s',
        'hub send op',
        'hub CPU/rt',
        'client CPU/rt',
      ],
    ];
    for (const e of r.mcp.eras) {
      const name = e.era === 'legacy' ? '2025-11-25 session' : 'auto (2026-07-28 if offered)';
      if (e.median)
        rows.push([
          name,
          fmt(e.median.rtP50, 2),
          fmt(e.median.rtP99, 2),
          fmt(e.median.sendP50, 2),
          fmt(e.median.sendP99, 2),
          fmt(e.median.perSec),
          fmt(e.median.serverSendOpMs, 2),
          fmt(e.median.hubCpuMsPerRoundTrip, 2),
          fmt(e.median.clientCpuMsPerRoundTrip, 2),
        ]);
      else rows.push([name, 'FAILED', e.error ?? '', '', '', '', '', '', '']);
      const f = e.floor?.median;
      if (f)
        rows.push([
          `  SDK floor (no store)`,
          fmt(f.rtP50, 2),
          fmt(f.rtP99, 2),
          fmt(f.sendP50, 2),
          fmt(f.sendP99, 2),
          fmt(f.perSec),
          '-',
          fmt(f.hubCpuMsPerRoundTrip, 2),
          fmt(f.clientCpuMsPerRoundTrip, 2),
        ]);
      else if (e.floorError)
        rows.push([`  SDK floor (no store)`, 'FAILED', e.floorError, '', '', '', '', '', '']);
      const c = e.compare?.median;
      if (c)
        rows.push([
          `  --compare-bin`,
          fmt(c.rtP50, 2),
          fmt(c.rtP99, 2),
          fmt(c.sendP50, 2),
          fmt(c.sendP99, 2),
          fmt(c.perSec),
          fmt(c.serverSendOpMs, 2),
          fmt(c.hubCpuMsPerRoundTrip, 2),
          fmt(c.clientCpuMsPerRoundTrip, 2),
        ]);
    }
    if (rows.length > 1) out.push(table(rows));
    if (r.mcp.eras.some((e) => e.median)) {
      out.push(
        "  'hub send op': mean time inside the send_message handler (from /metrics; the rest of send_message is MCP transport and SDKs); 'CPU/rt': CPU ms per round trip",
      );
      out.push('');
      out.push('  where a round trip goes (ms, p50s of the same repetitions)');
      const split: string[][] = [
        [
          'protocol',
          'HTTP floor',
          'MCP layer',
          'tool layer',
          'hub send op',
          '= send_message',
          '+ B answers after',
          '= round trip',
        ],
      ];
      for (const e of r.mcp.eras) {
        const m = e.median;
        if (!m) continue;
        split.push([
          e.era === 'legacy' ? '2025-11-25 session' : 'auto (2026-07-28 if offered)',
          fmt(m.split.httpMs, 2),
          fmt(m.split.noToolMs - m.split.httpMs, 2),
          fmt(m.sendP50 - m.split.noToolMs - m.serverSendOpMs, 2),
          fmt(m.serverSendOpMs, 2),
          fmt(m.sendP50, 2),
          fmt(m.split.afterSendMs, 2),
          fmt(m.rtP50, 2),
        ]);
      }
      out.push(table(split));
      for (const e of r.mcp.eras)
        if (e.floor)
          out.push(
            `  SDK floor ${e.era === 'legacy' ? '2025-11-25 session' : 'auto (2026-07-28)'}: round trip p50 hub ÷ floor x${e.floor.medianRtP50Ratio} ` +
              `(per rep ${e.floor.rtP50Ratios.join(', ')}); the floor's 'hub CPU/rt' is the floor server's`,
          );
      for (const e of r.mcp.eras)
        if (e.compare)
          out.push(
            `  --compare-bin ${e.era === 'legacy' ? '2025-11-25 session' : 'auto (2026-07-28)'}: round trip p50 other ÷ this x${e.compare.medianRtP50Ratio} ` +
              `(per rep ${e.compare.rtP50Ratios.join(', ')}); hub CPU/rt other ÷ this x${e.compare.medianHubCpuRatio} (per rep ${e.compare.hubCpuRatios.join(', ')})`,
          );
      out.push(
        "  'HTTP floor': GET /health (fetch, loopback, fastify); 'MCP layer': a tools/call of no such tool minus that (transport, SDKs, JSON-RPC, dispatch); " +
          "'tool layer': send_message minus that call minus the op (argument validation, the hub's tool wrapper and invoker, the result); " +
          "'B answers after': round trip minus the send call (the wake-up and B's response); " +
          "'SDK floor': the same two tools answered from memory by a server wired as the SDK documents it (bench/scenarios/mcp-floor-server.ts), same clients",
      );
    }
  }
  if (r.memory) {
    out.push('');
    out.push('(c) Hub memory per idle WebSocket agent (VmRSS of the hub process)');
    if (r.memory.error) out.push(`  FAILED: ${r.memory.error}`);
    if (r.memory.levels?.length) {
      const rows: string[][] = [
        ['sockets', 'hub RSS MiB', 'per socket KiB', 'marginal KiB', 'JS heap/socket KiB', 'connect s'],
      ];
      rows.push(['0 (agents registered)', fmt(r.memory.baselineRssMiB, 1), '-', '-', '-', '-']);
      for (const l of r.memory.levels)
        rows.push([
          fmt(l.sockets),
          fmt(l.rssMiB, 1),
          fmt(l.perSocketKiB, 1),
          fmt(l.marginalKiB, 1),
          fmt(l.heapPerSocketKiB, 1),
          fmt(l.connectSeconds, 2),
        ]);
      out.push(table(rows));
      out.push(
        `  ${fmt(r.memory.registeredAgents)} agents registered over REST in ${fmt(r.memory.registerSeconds, 1)} s, in projects of ${r.memory.agentsPerProject} ` +
          '(registration answers with up to 100 peers of the project).\n' +
          '  RSS = median of 5 samples after settling and a forced full GC (inspector); JS heap = heapUsed + external after that GC',
      );
    }
    for (const n of r.memory.notes ?? []) out.push(`  note: ${n}`);
  }
  for (const p of r.profiles ?? []) {
    out.push('');
    if ('error' in p) {
      out.push(`Hub CPU profile, ${p.label}: FAILED: ${p.error}`);
      continue;
    }
    const rate =
      typeof p.workload.deliveredPerSec === 'number'
        ? `${fmt(p.workload.deliveredPerSec as number)} msg/s; `
        : typeof p.workload.perSec === 'number'
          ? `${fmt(p.workload.perSec as number)} round trips/s; `
          : '';
    out.push(
      `Hub CPU profile, ${p.label} (${rate}${fmt(p.busyMs)} ms busy of ${fmt(p.totalMs)} ms sampled${p.windowed ? ', measured window only' : ', whole run'}; % of busy): ${p.file}`,
    );
    out.push(
      table([
        ['area (self time)', 'ms', '%'],
        ...p.areas.slice(0, 14).map((a) => [a.area, fmt(a.ms), fmt(a.pct, 1)]),
      ]),
    );
    out.push('');
    out.push(
      table([
        ['function (self time)', 'where', 'ms', '%'],
        ...p.topSelf
          .slice(0, 20)
          .map((f) => [f.name.slice(0, 50), f.where.slice(0, 70), fmt(f.ms), fmt(f.pct, 1)]),
      ]),
    );
    out.push('');
    out.push(
      table([
        ['function (inclusive)', 'where', 'ms', '%'],
        ...p.topInclusive
          .slice(0, 25)
          .map((f) => [f.name.slice(0, 50), f.where.slice(0, 70), fmt(f.ms), fmt(f.pct, 1)]),
      ]),
    );
  }
  return out.join('\n');
}

// ---------------------------------------------------------------- main

async function main(): Promise<number> {
  const o = parseOptions(process.argv.slice(2));
  // The analytics section alone may take ~5 minutes at a million messages.
  const analyticsMs = o.only.has('analytics') ? 2 * 60_000 + o.messages * 0.4 : 0;
  const clusterMs = o.only.has('cluster') ? 4 * 60_000 : 0;
  // Gateway: direct, two hub eras and two peers, 5+ repetitions of 1,000 calls each (slow when loaded);
  // --compare-bin adds the other build's two eras to every repetition.
  const gatewayMs = o.only.has('gateway') ? (o.compareBin ? 16 : 8) * 60_000 : 0;
  // Context with --compare-bin runs every repetition twice (this build and the other).
  const contextMs = o.only.has('context') && o.compareBin ? o.reps * 2 * 60_000 : 0;
  watchdog((o.quick ? 4 * 60_000 : 12 * 60_000) + analyticsMs + clusterMs + gatewayMs + contextMs);
  mkdirSync(o.out, { recursive: true });
  const started = new Date();
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  let git = 'unknown';
  try {
    git = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot(), encoding: 'utf8' }).trim();
  } catch {
    /* not a git checkout */
  }
  const machineStart = machineLoad();
  const meta: Record<string, unknown> = {
    date: started.toISOString(),
    git,
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    loadavgStart: loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
    argv: process.argv.slice(2),
    machineStart,
  };
  const results: Results = {};
  const failures: string[] = [];

  if (o.only.has('ws') || o.only.has('redis')) {
    try {
      await runWsAndRedis(o, results);
    } catch (err) {
      failures.push(`ws/redis: ${errText(err)}`);
    }
  }
  if (o.only.has('mcp')) {
    try {
      await runMcp(o, results);
    } catch (err) {
      failures.push(`mcp: ${errText(err)}`);
      results.mcp = { eras: [], skipped: `failed: ${errText(err)}` };
    }
  }
  if (o.only.has('memory')) {
    try {
      log(`idle memory at ${o.sockets.join(', ')} sockets`);
      results.memory = await idleMemory(o.sockets, { settleMs: o.settleMs, samples: 5 });
    } catch (err) {
      failures.push(`memory: ${errText(err)}`);
      results.memory = { error: errText(err) } as MemoryResult & { error: string };
    }
  }
  if (o.only.has('tasks')) {
    log('task claim throughput');
    results.tasks = await runTaskBench(o, log);
    if (results.tasks.error) failures.push(`tasks: ${results.tasks.error}`);
  }
  if (o.only.has('context')) {
    log('shared context latency');
    results.context = await runContextBench(o, log);
    if (results.context.error) failures.push(`context: ${results.context.error}`);
  }
  if (o.only.has('gateway')) {
    log('gateway tool calls (through the hub vs direct)');
    results.gateway = await runGatewayBench(o, log);
    if (results.gateway.error) failures.push(`gateway: ${results.gateway.error}`);
    for (const [peer, error] of Object.entries(results.gateway.peerErrors ?? {}))
      failures.push(`gateway peer ${peer}: ${error}`);
  }
  if (o.only.has('instances')) {
    log('instances (spawn to ready vs bare, send round trip, spawns at once)');
    results.instances = await runInstancesBench(o, log);
    if (results.instances.error) failures.push(`instances: ${results.instances.error}`);
  }
  if (o.only.has('tools')) {
    log('tools/list size per profile and caller');
    results.tools = await runToolListBench(log);
    if (results.tools.error) failures.push(`tools: ${results.tools.error}`);
  }
  if (o.only.has('analytics')) {
    log(`analytics with ${o.messages.toLocaleString('en-US')} messages in the store`);
    results.analytics = await runAnalyticsBench(
      {
        quick: o.quick,
        messages: o.messages,
        saturationMs: o.saturationMs,
        warmupMs: o.warmupMs,
        window: o.window,
        body: o.body,
      },
      log,
    );
    if (results.analytics.error) failures.push(`analytics: ${results.analytics.error}`);
    for (const t of results.analytics.ops)
      if (t.error) failures.push(`analytics ${t.op} ${JSON.stringify(t.input)}: ${t.error}`);
  }
  if (o.only.has('cluster')) {
    log('stores and the cluster (SQLite, PostgreSQL one node, two nodes)');
    results.cluster = await runClusterBench(o, log);
    if (results.cluster.error) failures.push(`cluster: ${results.cluster.error}`);
  }
  if (o.profile) results.profiles = await runProfiles(o, stamp);
  if (results.ws?.error) failures.push(`ws: ${results.ws.error}`);
  if (results.redis?.error) failures.push(`redis: ${results.redis.error}`);
  for (const e of results.mcp?.eras ?? [])
    if (e.error && e.era === 'legacy') failures.push(`mcp ${e.era}: ${e.error}`);
  for (const p of results.profiles ?? []) if ('error' in p) failures.push(`profile ${p.label}: ${p.error}`);

  meta.loadavgEnd = loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  const machineEnd = machineLoad();
  meta.machineEnd = machineEnd;
  meta.seconds = round((Date.now() - started.getTime()) / 1000, 1);
  const text = render(o, results, meta);
  const aims = computeAims(results);
  const aimsText = renderAims(aims, { start: machineStart, end: machineEnd }, results);
  const file = join(o.out, `${stamp}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        meta,
        options: { ...o, only: [...o.only] },
        results,
        aims,
        failures,
        table: text.split('\n'),
        aimsTable: aimsText.split('\n'),
      },
      null,
      2,
    ) + '\n',
  );
  process.stdout.write(`\n${text}\n\n`);
  if (results.tasks) process.stdout.write(`${renderTasks(results.tasks)}\n\n`);
  if (results.context) process.stdout.write(`${renderContext(results.context)}\n\n`);
  if (results.gateway) process.stdout.write(`${renderGateway(results.gateway)}\n\n`);
  if (results.instances) process.stdout.write(`${renderInstances(results.instances)}\n\n`);
  if (results.tools) process.stdout.write(`${renderToolList(results.tools)}\n\n`);
  if (results.analytics) process.stdout.write(`${renderAnalytics(results.analytics)}\n\n`);
  if (results.cluster) process.stdout.write(`${renderCluster(results.cluster)}\n\n`);
  process.stdout.write(`${aimsText}\n\n`);
  if (failures.length) process.stdout.write(`Failures:\n${failures.map((f) => `  - ${f}`).join('\n')}\n\n`);
  process.stdout.write(`JSON written to ${relative(process.cwd(), file) || file}  (${meta.seconds} s)\n`);
  return failures.length ? 1 : 0;
}

main().then(
  (code) => {
    // Give stdout a moment, then exit even if a stray handle is left open.
    setTimeout(() => process.exit(code), 50);
  },
  (err) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    setTimeout(() => process.exit(1), 50);
  },
);
