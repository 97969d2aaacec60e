/**
 * (a)'s floors in the same run: the bench's WebSocket pairs against ws-floor-server.ts, in memory and
 * durable (a SQLite group commit), each repetition right after the hub's, so the hub reads as a floor
 * plus what the hub adds (validation, the store's rows and indexes, events, rollups).
 */
import { startFloorServer } from '../lib/floor.js';
import type { HubProcess } from '../lib/hub.js';
import { median, medianOf, round } from '../lib/stats.js';
import { type WsRep, WsPairs } from './ws-throughput.js';

export type FloorKind = 'memory' | 'durable';

export interface FloorResult {
  kind: FloorKind;
  saturation: WsRep[];
  rate: WsRep[];
  /** Medians: saturated msg/s, msg per floor CPU-second, fixed-rate e2e p99 and CPU. */
  median?: { deliveredPerSec: number; perCpuSecond: number; rateE2eP99: number; rateCpuPct: number };
  /** Per repetition, the hub ÷ this floor: saturated msg/s and msg per CPU-second. */
  hubRatios: number[];
  hubCpuRatios: number[];
  medianHubRatio?: number;
  medianHubCpuRatio?: number;
  error?: string;
}

interface Floor {
  server: HubProcess;
  pairs: WsPairs;
  result: FloorResult;
}

export class WsFloors {
  private constructor(private readonly floors: Floor[]) {}

  static async open(pairs: number, bodyBytes: number, log: (line: string) => void): Promise<WsFloors> {
    const floors: Floor[] = [];
    for (const kind of ['memory', 'durable'] as FloorKind[]) {
      let server: HubProcess | undefined;
      try {
        server = await startFloorServer('ws-floor-server.js', kind === 'durable' ? ['--durable'] : []);
        const result: FloorResult = { kind, saturation: [], rate: [], hubRatios: [], hubCpuRatios: [] };
        floors.push({ server, pairs: await WsPairs.open(server, pairs, bodyBytes), result });
      } catch (err) {
        log(`ws floor (${kind}) failed to start: ${(err as Error).message}`);
        await server?.stop();
      }
    }
    return new WsFloors(floors);
  }

  /** A floor that fails here is left out of the run (with its error); the hub's figures do not depend on it. */
  async warm(ms: number, rate: number, window: number): Promise<void> {
    for (const f of this.floors) {
      try {
        await f.pairs.run({ durationMs: ms, rate });
        await f.pairs.run({ durationMs: ms, window });
      } catch (err) {
        f.result.error = (err as Error).message;
      }
    }
  }

  /** One fixed-rate repetition of each floor. */
  async rate(ms: number, rate: number, log: (line: string) => void): Promise<void> {
    for (const f of this.floors) {
      if (f.result.error) continue;
      try {
        const r = await f.pairs.run({ durationMs: ms, rate });
        f.result.rate.push(r);
        log(`ws floor (${f.result.kind}) fixed rate: e2e p99 ${r.e2eMs.p99} ms, CPU ${r.hubCpuPct}%`);
      } catch (err) {
        f.result.error = (err as Error).message;
      }
    }
  }

  /** One saturated repetition of each floor, compared with the hub's repetition `hub`. */
  async saturation(ms: number, window: number, hub: WsRep | undefined, log: (line: string) => void) {
    for (const f of this.floors) {
      if (f.result.error) continue;
      try {
        const r = await f.pairs.run({ durationMs: ms, window });
        f.result.saturation.push(r);
        if (hub) {
          f.result.hubRatios.push(round(hub.deliveredPerSec / r.deliveredPerSec, 3));
          f.result.hubCpuRatios.push(round(hub.perHubCpuSecond / r.perHubCpuSecond, 3));
        }
        log(
          `ws floor (${f.result.kind}) saturation: ${r.deliveredPerSec} msg/s, ${r.perHubCpuSecond} msg per CPU-s, CPU ${r.hubCpuPct}%`,
        );
      } catch (err) {
        f.result.error = (err as Error).message;
      }
    }
  }

  results(): FloorResult[] {
    return this.floors.map(({ result: r }) => ({
      ...r,
      ...(r.saturation.length && r.rate.length
        ? {
            median: {
              deliveredPerSec: medianOf(r.saturation, (x) => x.deliveredPerSec),
              perCpuSecond: medianOf(r.saturation, (x) => x.perHubCpuSecond),
              rateE2eP99: medianOf(r.rate, (x) => x.e2eMs.p99),
              rateCpuPct: medianOf(r.rate, (x) => x.hubCpuPct),
            },
          }
        : {}),
      ...(r.hubRatios.length
        ? {
            medianHubRatio: round(median(r.hubRatios), 3),
            medianHubCpuRatio: round(median(r.hubCpuRatios), 3),
          }
        : {}),
    }));
  }

  async close(): Promise<void> {
    for (const f of this.floors) {
      await f.pairs.close().catch(() => {});
      await f.server.stop();
    }
  }
}
