/**
 * (k) The store and the cluster: durable WebSocket messaging (a) on a SQLite file (the baseline, same
 * run), on PostgreSQL with one node, and on PostgreSQL with two nodes where every sender is on node 1
 * and every receiver on node 2 (each message crosses nodes: committed by node 1, hinted by NOTIFY,
 * re-read and pushed by node 2). Saturation msg/s and end-to-end p50/p99, then the push latency at a
 * low fixed rate (one node vs across nodes). The PostgreSQL server is a throwaway one started here
 * from the machine's binaries; configurations are interleaved per repetition so load drift hits all.
 */
import { startHub, type HubProcess } from '../lib/hub.js';
import { median, round } from '../lib/stats.js';
import { findPostgresBinaries, startThrowawayPostgres } from '../../src/store/postgres/throwaway.js';
import { WsPairs, type WsRep } from './ws-throughput.js';

export type ClusterSetup = 'sqlite' | 'postgres, 1 node' | 'postgres, 2 nodes';

export interface ClusterRow {
  setup: ClusterSetup;
  saturation: WsRep[];
  lowRate: WsRep[];
  msgPerSec: number;
  e2eP50: number;
  e2eP99: number;
  /** Push latency at the low fixed rate (the cross-node cost shows here, not at saturation). */
  lowRateP50: number;
  lowRateP99: number;
  /** msg/s relative to SQLite in the same run. */
  ratioToSqlite?: number;
}

export interface ClusterResult {
  pairs: number;
  window: number;
  lowRate: number;
  rows: ClusterRow[];
  skipped?: string;
  error?: string;
}

interface Opts {
  quick: boolean;
  reps: number;
  pairs: number;
  window: number;
  body: number;
  saturationMs: number;
  warmupMs: number;
}

const SETUPS: ClusterSetup[] = ['sqlite', 'postgres, 1 node', 'postgres, 2 nodes'];

export async function runClusterBench(o: Opts, log: (line: string) => void): Promise<ClusterResult> {
  const lowRate = 200;
  const result: ClusterResult = { pairs: o.pairs, window: o.window, lowRate, rows: [] };
  if (!findPostgresBinaries()) {
    result.skipped = 'no PostgreSQL on this machine (apt-get install -y postgresql)';
    return result;
  }
  const pg = await startThrowawayPostgres();
  const reps = new Map<ClusterSetup, { sat: WsRep[]; low: WsRep[] }>(
    SETUPS.map((s) => [s, { sat: [], low: [] }]),
  );
  try {
    for (let rep = 0; rep < o.reps; rep++) {
      for (const setup of SETUPS) {
        const hubs: HubProcess[] = [];
        try {
          const db = setup === 'sqlite' ? undefined : await pg.createDatabase();
          hubs.push(await startHub({ db }));
          if (setup === 'postgres, 2 nodes') hubs.push(await startHub({ db }));
          const pairs = await WsPairs.open(hubs[0], o.pairs, o.body, hubs[1]);
          try {
            await pairs.run({ durationMs: o.warmupMs, window: o.window });
            const sat = await pairs.run({ durationMs: o.saturationMs, window: o.window });
            const low = await pairs.run({ durationMs: o.quick ? 2000 : 4000, rate: lowRate });
            for (const r of [sat, low]) {
              if (r.lost || r.duplicates)
                throw new Error(`${setup}: ${r.lost} lost, ${r.duplicates} duplicated`);
            }
            reps.get(setup)!.sat.push(sat);
            reps.get(setup)!.low.push(low);
            log(
              `cluster ${setup} rep ${rep + 1}: ${sat.deliveredPerSec} msg/s, e2e p50 ${sat.e2eMs.p50} ms; at ${lowRate}/s p50 ${low.e2eMs.p50} ms`,
            );
          } finally {
            await pairs.close();
          }
        } finally {
          for (const h of hubs) await h.stop();
        }
      }
    }
    const base = median(reps.get('sqlite')!.sat.map((r) => r.deliveredPerSec));
    for (const setup of SETUPS) {
      const { sat, low } = reps.get(setup)!;
      const msgPerSec = round(median(sat.map((r) => r.deliveredPerSec)), 0);
      result.rows.push({
        setup,
        saturation: sat,
        lowRate: low,
        msgPerSec,
        e2eP50: round(median(sat.map((r) => r.e2eMs.p50))),
        e2eP99: round(median(sat.map((r) => r.e2eMs.p99))),
        lowRateP50: round(median(low.map((r) => r.e2eMs.p50))),
        lowRateP99: round(median(low.map((r) => r.e2eMs.p99))),
        ratioToSqlite: base ? round(msgPerSec / base, 2) : undefined,
      });
    }
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    log(`cluster failed: ${result.error}`);
  } finally {
    await pg.stop();
  }
  return result;
}

export function renderCluster(r: ClusterResult): string {
  const lines = [
    `(k) Stores and the cluster: WebSocket messaging, ${r.pairs} pairs, window ${r.window}; PostgreSQL is a local throwaway server (fsync off)`,
    `    setup                 msg/s   × SQLite   e2e p50 ms   p99 ms   at ${r.lowRate} msg/s: p50 ms   p99 ms`,
  ];
  if (r.skipped) lines.push(`    skipped: ${r.skipped}`);
  for (const row of r.rows) {
    lines.push(
      `    ${row.setup.padEnd(18)}  ${String(row.msgPerSec).padStart(7)}   ${String(row.ratioToSqlite ?? '').padStart(8)}   ${String(row.e2eP50).padStart(10)}   ${String(row.e2eP99).padStart(6)}   ${String(row.lowRateP50).padStart(19)}   ${String(row.lowRateP99).padStart(6)}`,
    );
  }
  lines.push(
    '    (2 nodes: every sender on node 1, every receiver on node 2; the push crosses nodes through the database)',
  );
  if (r.error) lines.push(`    error: ${r.error}`);
  return lines.join('\n');
}
