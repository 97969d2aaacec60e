import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RollupDelta, ThreadRollup } from '../../store/analytics.js';
import { splitDelta } from './split-delta.js';

const row = (threadId: string, agentId: string, minute = 1): ThreadRollup => ({
  minute,
  threadId,
  agentId,
  type: 'message',
  project: '',
  sent: 1,
  received: 0,
});

const delta = (threads: ThreadRollup[], started: string[] = []): RollupDelta => ({
  pairs: [
    {
      minute: 1,
      project: '',
      from: 'a',
      to: 'b',
      messages: 1,
      requests: 0,
      responses: 0,
      acks: 0,
      latencyMsSum: 0,
      latencyCount: 0,
    },
  ],
  agents: [],
  threads,
  threadsStarted: started,
  calls: [],
  instanceUsage: [{ instanceId: 'i', tokens: 5, costUsd: 0 }],
});

describe('splitDelta', () => {
  it('leaves a small delta whole', () => {
    const d = delta([row('t1', 'a'), row('t1', 'b')], ['t1']);
    expect(splitDelta(d, 100)).toEqual([d]);
  });

  it('keeps a thread whole, its started mark with it, and the aggregated rows in the first write', () => {
    const d = delta(
      [row('t1', 'a'), row('t2', 'a'), row('t1', 'b', 2), row('t3', 'a'), row('t2', 'b')],
      ['t2', 't3'],
    );
    const parts = splitDelta(d, 2);
    expect(parts.map((p) => p.threads.map((t) => `${t.threadId}/${t.agentId}`))).toEqual([
      ['t1/a', 't1/b'],
      ['t2/a', 't2/b'],
      ['t3/a'],
    ]);
    expect(parts.map((p) => p.threadsStarted)).toEqual([[], ['t2'], ['t3']]);
    expect(parts[0]!.pairs).toEqual(d.pairs);
    expect(parts[0]!.instanceUsage).toEqual(d.instanceUsage);
    expect(parts.slice(1).every((p) => p.pairs.length + p.instanceUsage.length === 0)).toBe(true);
  });

  it('any delta: every row written once, threads never split, writes within the bound', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 3 })), {
          maxLength: 300,
        }),
        fc.integer({ min: 1, max: 40 }),
        (cells, max) => {
          const seen = new Set<string>();
          const threads = cells
            .map(([t, a]) => row(`t${t}`, `a${a}`))
            .filter((r) => !seen.has(r.threadId + r.agentId) && seen.add(r.threadId + r.agentId));
          const started = [...new Set(threads.map((t) => t.threadId))].filter((_, i) => i % 2 === 0);
          const parts = splitDelta(delta(threads, started), max);
          expect(parts.flatMap((p) => p.threads)).toHaveLength(threads.length);
          expect(new Set(parts.flatMap((p) => p.threads))).toEqual(new Set(threads));
          expect(parts.flatMap((p) => p.threadsStarted ?? []).sort()).toEqual([...started].sort());
          const home = new Map<string, number>();
          parts.forEach((p, i) => {
            const own = new Set(p.threads.map((t) => t.threadId));
            if (p.threads.length > max) expect(own.size).toBe(1); // one thread larger than the bound
            for (const id of own) {
              expect(home.get(id) ?? i).toBe(i);
              home.set(id, i);
            }
            for (const s of p.threadsStarted ?? []) expect(own.has(s)).toBe(true);
          });
        },
      ),
    );
  });
});
