/**
 * Issue 14's aims, one row per line of its table, computed from the results the sections already
 * produced in this run (nothing is measured here): each figure with its same-run reference, their
 * ratio and whether the aim is met (null when a section, or the reference's section, did not run or
 * failed). Where a section keeps per-repetition figures, the ratio is the median of the
 * per-repetition ratios (steadier on a shared machine than a ratio of medians); `ratioIs` says which.
 * `renderAims` prints the rows as a table, with the machine's load at the start and end of the run and
 * the runqueue waits that were measured.
 */
import type { ContextResult } from '../scenarios/context.js';
import type { GatewayRep, GatewayResult, Side } from '../scenarios/gateway.js';
import type { McpEra, McpRep } from '../scenarios/mcp-roundtrip.js';
import type { MachineLoad } from './machine.js';
import { median } from './stats.js';

/** One aim. Numbers are null when not measured (never NaN, so the JSON keeps them). */
export interface AimRow {
  id: string;
  what: string;
  value: number | null;
  unit: string;
  reference: string;
  referenceValue: number | null;
  /** value ÷ reference (row 6: calls/s ÷ the best peer's). */
  ratio: number | null;
  ratioIs: 'median of per-repetition ratios' | 'ratio of medians';
  /** Row 6 only: p50 ÷ the best peer's p50 (median of per-repetition ratios). */
  p50Ratio?: number | null;
  /**
   * Rows 6, 6a, 6b, for context: the gateway floor (bench/scenarios/gateway-floor-server.ts, a bare
   * relay) in the same repetitions, its calls/s and p50 ÷ the best peer's (medians of per-repetition ratios).
   */
  floor?: { ratio: number | null; p50Ratio: number | null };
  aim: string;
  /** true / false; null when the figure or the one the aim needs was not measured. */
  met: boolean | null;
  /** Why a figure is missing ("not run", "failed: …"). */
  note?: string;
}

type WsMedian = { deliveredPerSec: number; e2eP99: number; hubRunqueueWaitPct: number };

/** The parts of bench/run.ts's results that the aims read (the results object itself fits). */
export interface AimsInput {
  ws?: {
    error?: string;
    rate?: { offeredRate: number; median: WsMedian };
    saturation?: { median: WsMedian };
    batched?: { batch: number; median: WsMedian };
    /** (a)'s floors: the durable one's fixed-rate p99 is row 2's reference (same clients, same rate). */
    floors?: Array<{ kind: string; median?: { rateE2eP99: number } }>;
  };
  redis?: {
    skipped?: string;
    error?: string;
    version?: string;
    pubsub?: { median: { perSec: number; e2eP99: number; runqueueWaitPct: number } };
    ratio?: { medianPubsub: number; medianBatchedPubsub?: number };
  };
  mcp?: {
    skipped?: string;
    eras: Array<{
      era: McpEra;
      error?: string;
      reps?: Array<Pick<McpRep, 'rtMs' | 'split'>>;
      median?: { rtP50: number; split: { httpMs: number } };
      floor?: { median: { rtP50: number }; medianRtP50Ratio: number };
    }>;
  };
  context?: Pick<ContextResult, 'median' | 'error'> & {
    floor?: { median: { ratio: number } };
    floorError?: string;
  };
  gateway?: Pick<GatewayResult, 'reps' | 'median' | 'bestPeer' | 'peers' | 'peerErrors' | 'error'>;
}

const num = (x: number | undefined | null): number | null =>
  x !== undefined && x !== null && Number.isFinite(x) ? x : null;
const r3 = (x: number | null): number | null => (x === null ? null : Math.round(x * 1000) / 1000);
const medianRatio = (pairs: Array<[number | undefined, number | undefined]>): number | null =>
  r3(num(median(pairs.map(([a, b]) => (a ?? Number.NaN) / (b ?? Number.NaN)))));
const failed = (error: string | undefined, what: string) => (error ? `failed: ${error}` : `${what} not run`);

type Check = { on: number | null; op: '>=' | '<='; target: number };

/** Every check must hold; null as soon as one has nothing to check. */
function metOf(value: number | null, checks: Check[]): boolean | null {
  if (value === null) return null;
  let met = true;
  for (const c of checks) {
    if (c.on === null) return null;
    met &&= c.op === '>=' ? c.on >= c.target : c.on <= c.target;
  }
  return met;
}

function notRun(base: Pick<AimRow, 'id' | 'what' | 'unit' | 'reference' | 'aim' | 'ratioIs'>, note: string) {
  return { ...base, value: null, referenceValue: null, ratio: null, met: null, note };
}

/** Rows 1a/1b: durable msg/s at saturation (one `send` frame per message; `send_batch` frames) ÷ Redis pub/sub. */
function throughputRows(r: AimsInput): AimRow[] {
  const redisNote = !r.redis
    ? 'reference (d) Redis not run'
    : r.redis.skipped
      ? `reference: ${r.redis.skipped}`
      : !r.redis.pubsub
        ? `reference ${failed(r.redis.error, '(d) Redis')}`
        : undefined;
  const reference = `Redis${r.redis?.version ? ` ${r.redis.version}` : ''} pub/sub (not durable)`;
  const rows: AimRow[] = [];
  for (const [id, what, pick, ratio] of [
    [
      '1a',
      'durable msg/s over WebSocket, saturation',
      r.ws?.saturation?.median,
      r.redis?.ratio?.medianPubsub,
    ],
    [
      '1b',
      `the same, send_batch frames${r.ws?.batched ? ` of ${r.ws.batched.batch}` : ''}`,
      r.ws?.batched?.median,
      r.redis?.ratio?.medianBatchedPubsub,
    ],
  ] as const) {
    const base = {
      id,
      what,
      unit: 'msg/s',
      reference,
      aim: '≥ 1× Redis pub/sub, durable',
      ratioIs: 'median of per-repetition ratios' as const,
    };
    if (!pick) {
      rows.push(
        notRun(base, r.ws ? failed(r.ws.error, id === '1b' ? 'batched saturation' : '(a)') : '(a) not run'),
      );
      continue;
    }
    const value = num(pick.deliveredPerSec);
    const ratioValue = r3(num(ratio));
    rows.push({
      ...base,
      value,
      referenceValue: num(r.redis?.pubsub?.median.perSec),
      ratio: ratioValue,
      met: metOf(value, [{ on: ratioValue, op: '>=', target: 1 }]),
      ...(redisNote ? { note: redisNote } : {}),
    });
  }
  return rows;
}

/** Row 2: end-to-end p99 at the fixed rate, next to Redis pub/sub's (saturated) p99; the aim is absolute. */
function latencyRow(r: AimsInput): AimRow {
  const rate = r.ws?.rate;
  // The durable floor is measured at the same rate with the same clients; Redis only saturated.
  const floor = num(r.ws?.floors?.find((f) => f.kind === 'durable')?.median?.rateE2eP99);
  const base = {
    id: '2',
    what: `end-to-end p99 at a fixed rate${rate ? ` of ${rate.offeredRate.toLocaleString('en-US')} msg/s` : ''}`,
    unit: 'ms',
    reference: floor !== null ? 'durable floor e2e p99 (same rate)' : 'Redis pub/sub e2e p99 (saturated)',
    aim: '≤ 5 ms',
    ratioIs: 'ratio of medians' as const,
  };
  if (!rate) return notRun(base, r.ws ? failed(r.ws.error, 'fixed rate') : '(a) not run');
  const value = num(rate.median.e2eP99);
  const ref = floor ?? num(r.redis?.pubsub?.median.e2eP99);
  return {
    ...base,
    value,
    referenceValue: ref,
    ratio: value !== null && ref ? r3(value / ref) : null,
    met: metOf(value, [{ on: value, op: '<=', target: 5 }]),
    ...(ref === null ? { note: 'reference: neither the durable floor nor (d) Redis measured' } : {}),
  };
}

/**
 * Rows 3a/3b: MCP send_message → wait_for_messages p50 per era, against the same run's SDK floor (the
 * two tools answered from memory by the SDK's documented wiring, same clients), or without it the
 * HTTP floor.
 */
function mcpRows(r: AimsInput): AimRow[] {
  return (
    [
      ['3a', 'legacy', '2025-11-25 session'],
      ['3b', 'auto', '2026-07-28'],
    ] as const
  ).map(([id, era, name]) => {
    const base = {
      id,
      what: `MCP send_message → wait_for_messages p50, ${name}`,
      unit: 'ms',
      reference: 'HTTP floor (GET /health p50)',
      aim: '≤ 2 ms',
      ratioIs: 'median of per-repetition ratios' as const,
    };
    if (!r.mcp) return notRun(base, '(b) not run');
    const e = r.mcp.eras.find((x) => x.era === era);
    if (!e?.median) return notRun(base, r.mcp.skipped ?? failed(e?.error, `(b) ${name}`));
    const value = num(e.median.rtP50);
    const met = metOf(value, [{ on: value, op: '<=', target: 2 }]);
    if (e.floor)
      return {
        ...base,
        reference: 'SDK floor, no store (p50)',
        value,
        referenceValue: num(e.floor.median.rtP50),
        ratio: r3(num(e.floor.medianRtP50Ratio)),
        met,
      };
    return {
      ...base,
      value,
      referenceValue: num(e.median.split.httpMs),
      ratio: medianRatio((e.reps ?? []).map((x) => [x.rtMs.p50, x.split.httpMs])),
      met,
    };
  });
}

/**
 * Row 4: set_context with 16 in flight ÷ one writer back to back (the section's per-repetition ratio),
 * with the same ratio for the floor (bare HTTP + SQLite, same clients and run) as context.
 */
function contextRow(r: AimsInput): AimRow {
  const base = {
    id: '4',
    what: 'set_context, 16 in flight',
    unit: 'sets/s',
    reference: 'one writer back to back',
    aim: '≥ 5× one writer',
    ratioIs: 'median of per-repetition ratios' as const,
  };
  const m = r.context?.median;
  if (!m) return notRun(base, r.context ? failed(r.context.error, '(f)') : '(f) not run');
  const ratio = r3(num(m.concurrentRatio));
  const floorRatio = num(r.context?.floor?.median.ratio);
  const note =
    floorRatio !== null
      ? `floor (bare HTTP+SQLite) ×${floorRatio.toFixed(2)}`
      : r.context?.floorError
        ? `floor failed: ${r.context.floorError}`
        : undefined;
  return {
    ...base,
    value: num(m.concurrentSetPerSec),
    referenceValue: num(m.oneWriterSetPerSec),
    ratio,
    met: metOf(num(m.concurrentSetPerSec), [{ on: ratio, op: '>=', target: 5 }]),
    ...(note ? { note } : {}),
  };
}

/** Row 5: gateway echo, hub CPU per call, 2026-07-28 ÷ a 2025-11-25 session call. */
function gatewayCpuRow(r: AimsInput): AimRow {
  const base = {
    id: '5',
    what: 'gateway echo, hub CPU per call, 2026-07-28',
    unit: 'µs',
    reference: 'the same, 2025-11-25 session',
    aim: '≤ 1.1× a session call',
    ratioIs: 'median of per-repetition ratios' as const,
  };
  const g = r.gateway;
  if (!g?.median) return notRun(base, g ? failed(g.error, '(g)') : '(g) not run');
  const ratio = medianRatio(g.reps.map((x) => [x.hub2026.hubCpuUs, x.hub.hubCpuUs]));
  const value = num(g.median.hub2026.hubCpuUs);
  return {
    ...base,
    value,
    referenceValue: num(g.median.hubCpuUs),
    ratio,
    met: metOf(value, [{ on: ratio, op: '<=', target: 1.1 }]),
  };
}

/** Rows 6, 6a, 6b: gateway calls/s with 16 in flight against the best peer; 6 is the better era. */
function gatewayPeerRows(r: AimsInput): AimRow[] {
  const g = r.gateway;
  const best = g?.bestPeer;
  const peer = g?.peers?.find((p) => p.name === best);
  const reference = best
    ? `${best}${peer ? ` ${peer.version}` : ''} (best peer)`
    : 'best peer (mcp-hub or mcp-proxy)';
  const aim = '≥ 1.5× calls/s at p50 ratio ≤ 1';
  const eras: Array<[string, string, (x: GatewayRep) => Side]> = [
    ['6a', '2025-11-25 session', (x) => x.hub],
    ['6b', '2026-07-28', (x) => x.hub2026],
  ];
  const rows = eras.map(([id, name, pick]): AimRow => {
    const base = {
      id,
      what: `gateway calls/s, 16 in flight, Switchboard ${name}`,
      unit: 'calls/s',
      reference,
      aim,
      ratioIs: 'median of per-repetition ratios' as const,
    };
    if (!g?.median) return { ...notRun(base, g ? failed(g.error, '(g)') : '(g) not run'), p50Ratio: null };
    const value = r3(num(median(g.reps.map((x) => pick(x).concurrent.perSec))));
    if (!best) {
      const why = Object.entries(g.peerErrors ?? {})
        .map(([n, e]) => `${n}: ${e}`)
        .join('; ');
      return {
        ...base,
        value,
        referenceValue: null,
        ratio: null,
        p50Ratio: null,
        met: null,
        note: `no peer measured${why ? ` (${why})` : ''}`,
      };
    }
    const peerSide = (x: GatewayRep) => x.peers?.[best];
    const floored = g.reps.filter((x) => x.floor);
    const floor = floored.length
      ? {
          floor: {
            ratio: medianRatio(
              floored.map((x) => [x.floor!.concurrent.perSec, peerSide(x)?.concurrent.perSec]),
            ),
            p50Ratio: medianRatio(floored.map((x) => [x.floor!.seq.p50, peerSide(x)?.seq.p50])),
          },
        }
      : {};
    const ratio = medianRatio(g.reps.map((x) => [pick(x).concurrent.perSec, peerSide(x)?.concurrent.perSec]));
    const p50Ratio = medianRatio(g.reps.map((x) => [pick(x).seq.p50, peerSide(x)?.seq.p50]));
    return {
      ...base,
      value,
      referenceValue: r3(num(median(g.reps.map((x) => peerSide(x)?.concurrent.perSec ?? Number.NaN)))),
      ratio,
      p50Ratio,
      ...floor,
      met: metOf(value, [
        { on: ratio, op: '>=', target: 1.5 },
        { on: p50Ratio, op: '<=', target: 1 },
      ]),
    };
  });
  const [a, b] = rows;
  const better = (b.ratio ?? -1) > (a.ratio ?? -1) ? b : a;
  const era = better === a ? '2025-11-25 session' : '2026-07-28';
  return [
    {
      ...better,
      id: '6',
      what: `gateway calls/s, 16 in flight, Switchboard best era${better.value === null ? '' : ` (${era})`}`,
    },
    ...rows,
  ];
}

export function computeAims(r: AimsInput): AimRow[] {
  return [
    ...throughputRows(r),
    latencyRow(r),
    ...mcpRows(r),
    contextRow(r),
    gatewayCpuRow(r),
    ...gatewayPeerRows(r),
  ];
}

// ---------------------------------------------------------------- rendering

function fmt(n: number | null | undefined, unit = ''): string {
  if (n === null || n === undefined) return '–';
  const digits = Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : 2;
  const s = n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return unit ? `${s} ${unit}` : s;
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)));
  return rows.flatMap((row, i) => {
    const line = row
      .map((cell, c) => (c === 2 || c === 4 ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
    return i === 0 ? [line, widths.map((w) => '-'.repeat(w)).join('  ')] : [line];
  });
}

const times = (x: number | null) => (x === null ? '–' : `×${x.toFixed(2)}`);
const floorText = (f: NonNullable<AimRow['floor']>) => `${times(f.ratio)}, p50 ${times(f.p50Ratio)}`;

const loadText = (m: MachineLoad | undefined) =>
  m
    ? `${m.loadavg.join(' ')}${m.cpuPressure ? ` (CPU pressure ${m.cpuPressure.avg10}% avg10, ${m.cpuPressure.avg60}% avg60)` : ''}`
    : '–';

/** The aims table, then the machine's load (start → end of the run) and the runqueue waits measured. */
export function renderAims(
  rows: AimRow[],
  machine: { start?: MachineLoad; end?: MachineLoad },
  r: AimsInput,
): string {
  const out = ['Issue 14 aims (figures from the sections above, references from the same run)'];
  out.push(
    ...table([
      ['#', 'what', 'value', 'same-run reference', 'ratio', 'aim', 'met'],
      ...rows.map((row) => [
        row.id,
        row.what,
        fmt(row.value, row.unit),
        `${row.reference} ${fmt(row.referenceValue, row.unit)}`,
        row.ratio === null
          ? '–'
          : `×${row.ratio.toFixed(2)}${row.p50Ratio != null ? `, p50 ×${row.p50Ratio.toFixed(2)}` : ''}`,
        row.aim,
        (row.met === null ? '–' : row.met ? 'yes' : 'NO') +
          (row.note ? `  ${row.note}` : '') +
          (row.floor ? `  floor (bare relay) ${floorText(row.floor)}` : ''),
      ]),
    ]).map((l) => `  ${l}`),
  );
  out.push(
    '  ratio: value ÷ reference, ' +
      'the median of per-repetition ratios where the section has repetitions side by side (rows 1, 3–6), ' +
      'else of the medians (row 2: its reference, the durable floor at the same rate or else Redis saturated, runs apart); ' +
      'rows 2 and 3 have absolute aims, their references are for scale; ' +
      'after rows 6: the gateway floor (a bare relay, same repetitions) ÷ the best peer, for context',
  );
  out.push(
    `  load average (1/5/15 min) at the start ${loadText(machine.start)}; at the end ${loadText(machine.end)}`,
  );
  const waits: string[] = [];
  const pct = (x: number | undefined) =>
    x === undefined || !Number.isFinite(x) ? undefined : `${Math.round(x)}%`;
  for (const [name, v] of [
    ['fixed rate', pct(r.ws?.rate?.median.hubRunqueueWaitPct)],
    ['saturation', pct(r.ws?.saturation?.median.hubRunqueueWaitPct)],
    ['send_batch saturation', pct(r.ws?.batched?.median.hubRunqueueWaitPct)],
  ] as const)
    if (v) waits.push(`hub ${name} ${v}`);
  const redisWait = pct(r.redis?.pubsub?.median.runqueueWaitPct);
  if (redisWait) waits.push(`redis-server pub/sub ${redisWait}`);
  out.push(
    waits.length
      ? `  runqueue wait (main thread runnable, waiting for a CPU; % of wall time): ${waits.join(', ')}`
      : '  runqueue wait: not measured in this run (sections (a) and (d) measure it)',
  );
  return out.join('\n');
}
