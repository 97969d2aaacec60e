/**
 * `npm run bench` options (the header of bench/run.ts lists them): parsed and checked here, so a
 * mistyped option stops the run before any hub starts.
 */
import { join, resolve } from 'node:path';
import { repoRoot } from './hub.js';

export interface Options {
  quick: boolean;
  profile: boolean;
  only: Set<string>;
  pairs: number;
  rate: number;
  window: number;
  /** Messages per `send_batch` frame in the batched saturation repetitions (1: those are skipped). */
  batch: number;
  body: number;
  reps: number;
  mcpRounds: number;
  sockets: number[];
  /** Messages in the store for the analytics section. */
  messages: number;
  out: string;
  /** Another build's bin/switchboard.js: its saturation runs interleaved with this build's. */
  compareBin?: string;
  /** Node flags for section (a)'s comparison hub (e.g. `--max-semi-space-size=64`); alone: this build with them. */
  compareNodeArgs: string[];
  /** Hub config for (a)'s comparison hub (`--compare-config`, JSON). */
  compareConfig?: Record<string, unknown>;
  // derived timings (ms)
  warmupMs: number;
  rateMs: number;
  saturationMs: number;
  redisMs: number;
  mcpWarmup: number;
  settleMs: number;
  profileMs: number;
}

/** A flag whose value must be a JSON object (e.g. `--compare-config`). */
export function jsonObjectFlag(name: string, text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new Error(
      `--${name} must be a JSON object, e.g. '{"analytics":{"enabled":false}}': ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new Error(`--${name} must be a JSON object, e.g. '{"analytics":{"enabled":false}}'`);
  return v as Record<string, unknown>;
}

export function parseOptions(argv: string[]): Options {
  const flags = new Map<string, string>();
  for (const a of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`unknown argument ${a}; see the header of bench/run.ts`);
    flags.set(m[1], m[2] ?? 'true');
  }
  const known = [
    'quick',
    'profile',
    'only',
    'pairs',
    'rate',
    'window',
    'batch',
    'body',
    'reps',
    'mcp-rounds',
    'sockets',
    'messages',
    'out',
    'compare-bin',
    'compare-node-args',
    'compare-config',
    'help',
  ];
  for (const k of flags.keys())
    if (!known.includes(k))
      throw new Error(`unknown option --${k}; known: ${known.map((x) => '--' + x).join(' ')}`);
  if (flags.has('help')) {
    process.stdout.write(
      'npm run bench -- [--quick] [--profile] [--only=ws,mcp,memory,redis,tasks,context,gateway,instances,tools,analytics,cluster] [--pairs=10] [--rate=5000] [--window=32] [--batch=16] [--body=100] [--reps=3] [--mcp-rounds=200] [--sockets=1000,5000] [--messages=1000000] [--out=bench-results] [--compare-bin=PATH] [--compare-node-args="FLAGS"] [--compare-config=JSON]\n',
    );
    process.exit(0);
  }
  const quick = flags.get('quick') === 'true';
  const num = (k: string, d: number) => {
    const v = flags.has(k) ? Number(flags.get(k)) : d;
    if (!Number.isFinite(v) || v <= 0) throw new Error(`--${k} must be a positive number`);
    return v;
  };
  return {
    quick,
    profile: flags.get('profile') === 'true',
    only: new Set(
      (flags.get('only') ?? 'ws,mcp,memory,redis,tasks,context,gateway,instances,tools,analytics,cluster')
        .split(',')
        .map((s) => s.trim()),
    ),
    pairs: num('pairs', 10),
    rate: num('rate', 5000),
    window: num('window', 32),
    batch: num('batch', 16),
    body: num('body', 100),
    reps: num('reps', quick ? 2 : 3),
    mcpRounds: num('mcp-rounds', quick ? 50 : 200),
    sockets: (flags.get('sockets') ?? (quick ? '1000' : '1000,5000')).split(',').map(Number),
    messages: Math.floor(
      num('messages', Number(process.env.SWITCHBOARD_BENCH_MESSAGES ?? (quick ? 100_000 : 1_000_000))),
    ),
    out: resolve(repoRoot(), flags.get('out') ?? 'bench-results'),
    compareBin: flags.has('compare-bin')
      ? resolve(flags.get('compare-bin')!)
      : flags.has('compare-node-args') || flags.has('compare-config')
        ? join(repoRoot(), 'bin/switchboard.js')
        : undefined,
    compareNodeArgs: (flags.get('compare-node-args') ?? '').split(' ').filter((a) => a.length > 0),
    compareConfig: flags.has('compare-config')
      ? jsonObjectFlag('compare-config', flags.get('compare-config')!)
      : undefined,
    warmupMs: quick ? 700 : 1500,
    rateMs: quick ? 1200 : 3000,
    saturationMs: quick ? 1500 : 4000,
    redisMs: quick ? 1000 : 2500,
    mcpWarmup: quick ? 10 : 30,
    settleMs: quick ? 700 : 1500,
    profileMs: quick ? 3000 : 8000,
  };
}
