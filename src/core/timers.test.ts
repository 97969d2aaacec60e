/** The hub's periodic jobs: one run at a time, failures named, everything stops. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Timers } from './timers.js';

afterEach(() => vi.useRealTimers());

describe('Timers', () => {
  it('runs a job every interval and skips a tick while the last run is still going', async () => {
    vi.useFakeTimers();
    const t = new Timers(() => {});
    let runs = 0;
    let release!: () => void;
    t.every('slow', 100, () => {
      runs++;
      return new Promise<void>((r) => (release = r));
    });
    await vi.advanceTimersByTimeAsync(350);
    expect(runs).toBe(1);
    release();
    await vi.advanceTimersByTimeAsync(100);
    expect(runs).toBe(2);
    t.stopAll();
  });

  it('reports a failing job by name and keeps running it', async () => {
    vi.useFakeTimers();
    const errors: string[] = [];
    const t = new Timers((job, err) => errors.push(`${job}: ${(err as Error).message}`));
    t.every('sweep', 50, () => {
      throw new Error('disk full');
    });
    await vi.advanceTimersByTimeAsync(120);
    expect(errors).toEqual(['sweep: disk full', 'sweep: disk full']);
    t.stopAll();
  });

  it('refuses a name twice, and after stopAll registers nothing and runs nothing', async () => {
    vi.useFakeTimers();
    const t = new Timers(() => {});
    let runs = 0;
    t.every('a', 10, () => runs++);
    expect(() => t.every('a', 10, () => {})).toThrow(/registered already/);
    expect(t.names()).toEqual(['a']);
    t.stopAll();
    t.every('b', 10, () => runs++);
    await vi.advanceTimersByTimeAsync(100);
    expect(runs).toBe(0);
    expect(t.names()).toEqual([]);
  });

  it('keeps the jobs stopAll is told to keep running until they are stopped by name', async () => {
    vi.useFakeTimers();
    const t = new Timers(() => {});
    const runs = { beat: 0, sweep: 0 };
    t.every('beat', 10, () => runs.beat++);
    t.every('sweep', 10, () => runs.sweep++);
    t.stopAll(['beat']);
    await vi.advanceTimersByTimeAsync(100);
    expect(runs).toEqual({ beat: 10, sweep: 0 });
    t.stop('beat');
    await vi.advanceTimersByTimeAsync(100);
    expect(runs.beat).toBe(10);
    expect(t.names()).toEqual([]);
  });

  it('runs cluster-wide jobs through the one-node-at-a-time runner and the rest directly', async () => {
    vi.useFakeTimers();
    const alone: string[] = [];
    let elsewhere = true;
    const t = new Timers(
      () => {},
      async (job, fn) => {
        alone.push(job);
        if (!elsewhere) await fn();
      },
    );
    let sweeps = 0;
    let flushes = 0;
    t.every('presence sweep', 100, () => sweeps++, { oneNodeAtATime: true });
    t.every('flush', 100, () => flushes++);
    await vi.advanceTimersByTimeAsync(250);
    expect({ sweeps, flushes, alone }).toEqual({
      sweeps: 0,
      flushes: 2,
      alone: ['presence sweep', 'presence sweep'],
    });
    elsewhere = false;
    await vi.advanceTimersByTimeAsync(100);
    expect(sweeps).toBe(1);
    t.stopAll();
  });
});
