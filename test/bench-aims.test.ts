/**
 * The bench's "Issue 14 aims" summary (bench/lib/aims.ts) computed from a fixed results object: each
 * row's value, same-run reference, ratio and met flag; null (not run) for sections that did not run.
 */
import { describe, expect, it } from 'vitest';
import { type AimRow, type AimsInput, computeAims, renderAims } from '../bench/lib/aims.js';
import { parseCpuPressure } from '../bench/lib/machine.js';
import type { GatewayRep, Side } from '../bench/scenarios/gateway.js';

const stats = (p50: number) => ({ n: 500, p50, p90: p50 * 2, p99: p50 * 4, max: p50 * 8 });
const side = (p50: number, perSec: number, hubCpuUs?: number): Side => ({
  seq: stats(p50),
  concurrent: { ...stats(p50 * 3), perSec },
  clientCpuUs: 1000,
  ...(hubCpuUs === undefined ? {} : { hubCpuUs }),
});
/** hub: session, h26: 2026-07-28; peers: mcp-hub (the best) and mcp-proxy. */
const gwRep = (hub: Side, h26: Side, best: Side): GatewayRep => ({
  direct: side(0.2, 5000),
  hub,
  hub2026: h26,
  peers: { 'mcp-hub': best, 'mcp-proxy': side(3, 100, 2000) },
});
const wsMedian = (deliveredPerSec: number, e2eP99: number, hubRunqueueWaitPct: number) => ({
  deliveredPerSec,
  e2eP99,
  hubRunqueueWaitPct,
});

const full: AimsInput = {
  ws: {
    rate: { offeredRate: 5000, median: wsMedian(4990, 4.5, 12) },
    saturation: { median: wsMedian(30000, 40, 20) },
    batched: { batch: 16, median: wsMedian(90000, 30, 25) },
  },
  redis: {
    version: '7.0.15',
    pubsub: { median: { perSec: 100000, e2eP99: 3, runqueueWaitPct: 7 } },
    // The section's medians of per-repetition ratios (deliberately not 30000 / 100000).
    ratio: { medianPubsub: 0.31, medianBatchedPubsub: 1.02 },
  },
  mcp: {
    eras: [
      {
        era: 'legacy',
        reps: [
          { rtMs: stats(1.5), split: { httpMs: 0.5, noToolMs: 1, afterSendMs: 0.2 } },
          { rtMs: stats(1.8), split: { httpMs: 0.4, noToolMs: 1, afterSendMs: 0.2 } },
          { rtMs: stats(2.0), split: { httpMs: 1.0, noToolMs: 1, afterSendMs: 0.2 } },
        ],
        median: { rtP50: 1.8, split: { httpMs: 0.5 } },
      },
      { era: 'auto', error: 'boom' },
    ],
  },
  context: {
    median: {
      setP50: 1,
      setP99: 2,
      getP50: 0.5,
      getP99: 1,
      concurrentSetP50: 3,
      concurrentSetP99: 6,
      concurrentSetPerSec: 6000,
      oneWriterSetPerSec: 1000,
      oneWriterCpuUs: 500,
      concurrentCpuUs: 200,
      oneWriterClientCpuUs: 600,
      concurrentClientCpuUs: 250,
      oneWriterRoundTripUs: 1000,
      concurrentRatio: 5.5,
    },
  },
  gateway: {
    bestPeer: 'mcp-hub',
    peers: [
      { name: 'mcp-proxy', version: '6.7.19', transport: 'Streamable HTTP' },
      { name: 'mcp-hub', version: '4.2.1', transport: 'HTTP+SSE' },
    ],
    // Session: calls/s ÷ best peer 2, 1.6, 1.8 → 1.8; p50 ratios 0.9, 1, 0.8 → 0.9 (met).
    // 2026-07-28: calls/s ratios 1, 1.2, 1.1 → 1.1 (not met); hub CPU 2026 ÷ session 1.2, 1, 1.1 → 1.1.
    reps: [
      gwRep(side(0.9, 200, 1000), side(1.2, 100, 1200), side(1, 100, 900)),
      gwRep(side(1.0, 160, 1000), side(1.5, 120, 1000), side(1, 100, 900)),
      gwRep(side(0.8, 180, 1000), side(1.1, 110, 1100), side(1, 100, 900)),
    ],
    median: {
      directP50: 0.2,
      directP99: 0.8,
      hubP50: 0.9,
      hubP99: 3.6,
      directPerSec: 5000,
      hubPerSec: 180,
      hubCpuUs: 1000,
      hubClientCpuUs: 1000,
      directClientCpuUs: 1000,
      p50Ratio: 4.5,
      p99Ratio: 4.5,
      throughputRatio: 27.8,
      hub2026: { p50: 1.2, p99: 4.8, perSec: 110, hubCpuUs: 1100, clientCpuUs: 1000 },
    },
  },
};

const byId = (rows: AimRow[]) => new Map(rows.map((r) => [r.id, r]));

describe('bench aims summary', () => {
  it('takes each figure, its same-run reference and ratio from the results', () => {
    const rows = computeAims(full);
    expect(rows.map((r) => r.id)).toEqual(['1a', '1b', '2', '3a', '3b', '4', '5', '6', '6a', '6b']);
    const r = byId(rows);
    expect(r.get('1a')).toMatchObject({
      value: 30000,
      referenceValue: 100000,
      ratio: 0.31,
      met: false,
      reference: 'Redis 7.0.15 pub/sub (not durable)',
    });
    expect(r.get('1b')).toMatchObject({ value: 90000, ratio: 1.02, met: true });
    expect(r.get('2')).toMatchObject({ value: 4.5, referenceValue: 3, ratio: 1.5, met: true });
    // Per-repetition ratios 3, 4.5, 2 → 3 (not 1.8 / 0.5 = 3.6).
    expect(r.get('3a')).toMatchObject({ value: 1.8, referenceValue: 0.5, ratio: 3, met: true });
    expect(r.get('3b')).toMatchObject({ value: null, ratio: null, met: null, note: 'failed: boom' });
    // With the SDK floor measured it is the reference, with the section's median per-repetition ratio.
    const withFloor = byId(
      computeAims({
        ...full,
        mcp: {
          eras: [
            { ...full.mcp!.eras[0]!, floor: { median: { rtP50: 1.2 }, medianRtP50Ratio: 1.4 } },
            full.mcp!.eras[1]!,
          ],
        },
      }),
    );
    expect(withFloor.get('3a')).toMatchObject({
      value: 1.8,
      reference: 'SDK floor, no store (p50)',
      referenceValue: 1.2,
      ratio: 1.4,
      met: true,
    });
    expect(r.get('4')).toMatchObject({ value: 6000, referenceValue: 1000, ratio: 5.5, met: true });
    expect(r.get('4')!.note).toBeUndefined();
    // The floor's ratio (same clients, same run) is shown with row 4; the verdict stays the hub's.
    const floored = byId(
      computeAims({ ...full, context: { ...full.context, floor: { median: { ratio: 3.214 } } } }),
    );
    expect(floored.get('4')).toMatchObject({ ratio: 5.5, met: true, note: 'floor (bare HTTP+SQLite) ×3.21' });
    const floorFailed = byId(
      computeAims({ ...full, context: { ...full.context, floorError: 'exited (1)' } }),
    );
    expect(floorFailed.get('4')).toMatchObject({ met: true, note: 'floor failed: exited (1)' });
    expect(r.get('5')).toMatchObject({ value: 1100, referenceValue: 1000, ratio: 1.1, met: true });
    expect(r.get('6a')).toMatchObject({
      value: 180,
      referenceValue: 100,
      ratio: 1.8,
      p50Ratio: 0.9,
      met: true,
    });
    expect(r.get('6b')).toMatchObject({ value: 110, ratio: 1.1, p50Ratio: 1.2, met: false });
    expect(r.get('6')).toMatchObject({
      value: 180,
      ratio: 1.8,
      met: true,
      reference: 'mcp-hub 4.2.1 (best peer)',
      what: 'gateway calls/s, 16 in flight, Switchboard best era (2025-11-25 session)',
    });
  });

  it('gives rows 6, 6a and 6b the gateway floor against the best peer as context', () => {
    // Floor calls/s ÷ best peer 3, 2.5, 2 → 2.5; p50 0.5, 0.6, 0.4 → 0.5. The verdicts stay the hub's.
    const floors = [side(0.5, 300, 400), side(0.6, 250, 400), side(0.4, 200, 400)];
    const r = byId(
      computeAims({
        gateway: { ...full.gateway!, reps: full.gateway!.reps.map((x, i) => ({ ...x, floor: floors[i] })) },
      }),
    );
    for (const id of ['6', '6a', '6b']) expect(r.get(id)!.floor).toEqual({ ratio: 2.5, p50Ratio: 0.5 });
    expect(r.get('6a')).toMatchObject({ ratio: 1.8, met: true });
    expect(r.get('6b')).toMatchObject({ ratio: 1.1, met: false });
    expect(byId(computeAims(full)).get('6')!.floor).toBeUndefined();
    const text = renderAims([...r.values()], {}, {});
    expect(text).toMatch(/^ {2}6b .* NO {2}floor \(bare relay\) ×2\.50, p50 ×0\.50$/m);
  });

  it('fails an aim that is missed by a little', () => {
    const slow: AimsInput = {
      ...full,
      ws: { ...full.ws, rate: { offeredRate: 5000, median: wsMedian(4990, 5.01, 12) } },
      context: { median: { ...full.context!.median!, concurrentRatio: 4.99 } },
    };
    const r = byId(computeAims(slow));
    expect(r.get('2')!.met).toBe(false);
    expect(r.get('4')!.met).toBe(false);
  });

  it('gives met null and "not run" for sections that did not run', () => {
    const r = byId(computeAims({ context: full.context }));
    for (const id of ['1a', '1b', '2', '3a', '3b', '5', '6', '6a', '6b']) {
      expect(r.get(id)).toMatchObject({ value: null, ratio: null, met: null });
      expect(r.get(id)!.note).toMatch(/not run/);
    }
    expect(r.get('4')!.met).toBe(true);
  });

  it("row 2's reference is the durable floor at the same rate when it ran, else Redis saturated", () => {
    const ws = {
      ...full.ws!,
      floors: [
        { kind: 'memory', median: { rateE2eP99: 0.5 } },
        { kind: 'durable', median: { rateE2eP99: 6 } },
      ],
    };
    expect(byId(computeAims({ ...full, ws })).get('2')).toMatchObject({
      reference: 'durable floor e2e p99 (same rate)',
      value: 4.5,
      referenceValue: 6,
      ratio: 0.75,
      met: true,
    });
    // A durable floor that failed (no median) leaves Redis as the reference.
    const failedFloor = { ...full.ws!, floors: [{ kind: 'durable' }] };
    expect(byId(computeAims({ ...full, ws: failedFloor })).get('2')).toMatchObject({
      reference: 'Redis pub/sub e2e p99 (saturated)',
      referenceValue: 3,
    });
  });

  it('keeps the hub figure but no verdict when only the reference is missing', () => {
    const r = byId(computeAims({ ws: full.ws, redis: { skipped: 'redis-server not installed' } }));
    expect(r.get('1a')).toMatchObject({ value: 30000, referenceValue: null, ratio: null, met: null });
    expect(r.get('1a')!.note).toContain('redis-server not installed');
    // Row 2's aim is absolute: judged without Redis.
    expect(r.get('2')).toMatchObject({ value: 4.5, referenceValue: null, ratio: null, met: true });
    const noPeer = byId(
      computeAims({
        gateway: { ...full.gateway!, bestPeer: undefined, peerErrors: { 'mcp-hub': 'no npx' } },
      }),
    );
    expect(noPeer.get('6a')).toMatchObject({ value: 180, ratio: null, met: null });
    expect(noPeer.get('6a')!.note).toContain('mcp-hub: no npx');
    expect(noPeer.get('5')!.met).toBe(true);
  });

  it('prints the rows with the load at the start and end and the runqueue waits', () => {
    const text = renderAims(
      computeAims(full),
      {
        start: { loadavg: [4.1, 3, 2], cpuPressure: { avg10: 50.5, avg60: 40 } },
        end: { loadavg: [6, 4, 2.5] },
      },
      full,
    );
    expect(text).toContain('Issue 14 aims');
    expect(text).toMatch(/1a\s+durable msg\/s over WebSocket, saturation\s+30,000 msg\/s/);
    expect(text).toContain('×0.31');
    expect(text).toContain('×1.80, p50 ×0.90');
    expect(text).toContain('at the start 4.1 3 2 (CPU pressure 50.5% avg10, 40% avg60); at the end 6 4 2.5');
    expect(text).toContain('hub saturation 20%');
    expect(text).toContain('redis-server pub/sub 7%');
    expect(text).toMatch(/3b .*– {2}failed: boom$/m);
  });

  it('reads the "some" line of /proc/pressure/cpu', () => {
    expect(
      parseCpuPressure(
        'some avg10=74.78 avg60=74.72 avg300=38.36 total=30340871992\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n',
      ),
    ).toEqual({ avg10: 74.78, avg60: 74.72 });
    expect(parseCpuPressure('')).toBeUndefined();
  });
});
