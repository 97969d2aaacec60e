/** Tallies export exactly what prom-client's own `inc`/`observe` would, and survive a reset. */
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CounterTally, HistogramTally } from './tallies.js';

const BOUNDS = [0.001, 0.01, 0.1, 1];

function pair(collect?: () => void) {
  const registry = new Registry();
  const counter = new Counter({
    name: 'c_total',
    help: 'c',
    labelNames: ['k'],
    registers: [registry],
    collect,
  });
  const histogram = new Histogram({
    name: 'h_seconds',
    help: 'h',
    labelNames: ['k'],
    buckets: BOUNDS,
    registers: [registry],
    collect,
  });
  return { registry, counter, histogram };
}

describe('metric tallies', () => {
  it('export the same text as direct inc and observe, over several scrapes and a reset', async () => {
    const direct = pair();
    const tallies: Array<CounterTally | HistogramTally> = [];
    const flush = () => tallies.forEach((t) => t.flush());
    const tallied = pair(flush);
    const c = new CounterTally(tallied.counter, { k: 'a' });
    const h = new HistogramTally(tallied.histogram, { k: 'a' }, BOUNDS);
    const h2 = new HistogramTally(tallied.histogram, { k: 'b' }, BOUNDS);
    tallies.push(c, h, h2);
    const values = [0, 0.0005, 0.001, 0.005, 0.05, 0.5, 1, 2, 1e9, -1, 0.01];
    for (const round of [1, 2, 3]) {
      for (const v of values) {
        direct.counter.inc({ k: 'a' });
        direct.histogram.observe({ k: 'a' }, v * round);
        c.inc();
        h.observe(v * round);
      }
      direct.histogram.observe({ k: 'b' }, 0.02);
      h2.observe(0.02);
      direct.counter.inc({ k: 'a' }, 5);
      c.inc(5);
      expect(await tallied.registry.metrics()).toBe(await direct.registry.metrics());
      if (round === 2) {
        direct.histogram.reset();
        tallied.histogram.reset();
      }
    }
    expect((await tallied.counter.get()).values).toEqual([{ value: 48, labels: { k: 'a' } }]);
  });

  it('hand over what was counted since the last read, and nothing twice', async () => {
    const tallies: HistogramTally[] = [];
    const t = pair(() => tallies.forEach((x) => x.flush()));
    const h = new HistogramTally(t.histogram, { k: 'a' }, BOUNDS);
    tallies.push(h);
    h.observe(0.5);
    await t.registry.metrics();
    await t.registry.metrics();
    h.observe(0.5);
    const values = (await t.histogram.get()).values;
    expect(values.find((v) => v.metricName === 'h_seconds_count')?.value).toBe(2);
    expect(values.find((v) => v.metricName === 'h_seconds_sum')?.value).toBe(1);
  });
});
