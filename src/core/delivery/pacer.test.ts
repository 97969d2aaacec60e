/** The pace of pushes: batch windows, events per minute, one event at a time, nothing lost. */
import { describe, expect, it } from 'vitest';
import { DeliveryPacer, type HeldCounts, MAX_QUEUED, type PacerClock } from './pacer.js';

/** A clock whose timers fire only when the test moves time. */
class ManualClock implements PacerClock {
  t = 0;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private next = 0;
  now = () => this.t;
  setTimer = (fn: () => void, ms: number) => {
    const id = ++this.next;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  };
  clearTimer = (h: unknown) => {
    this.timers = this.timers.filter((x) => x.id !== h);
  };
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const due = this.timers[0];
      if (!due || due.at > end) break;
      this.timers.shift();
      this.t = due.at;
      due.fn();
      await new Promise((r) => setImmediate(r));
    }
    this.t = end;
    await new Promise((r) => setImmediate(r));
  }
}

function setup(
  over: Partial<{ max_events_per_minute: number; batch_window_ms: number; max_batch: number }> = {},
) {
  const clock = new ManualClock();
  const events: Array<{ at: number; batch: number[]; held: HeldCounts }> = [];
  let release: (() => void) | undefined;
  let gate = false;
  const pacer = new DeliveryPacer<number>(
    { max_events_per_minute: 12, batch_window_ms: 500, max_batch: 10, ...over },
    async (batch, held) => {
      events.push({ at: clock.t, batch, held });
      if (gate) await new Promise<void>((r) => (release = r));
    },
    undefined,
    clock,
  );
  return {
    clock,
    events,
    pacer,
    block: () => (gate = true),
    release: () => {
      gate = false;
      release?.();
    },
  };
}

describe('DeliveryPacer', () => {
  it('sends messages that arrive within the window as one event', async () => {
    const { clock, events, pacer } = setup();
    pacer.offer(1);
    await clock.advance(100);
    pacer.offer(2);
    pacer.offer(3);
    await clock.advance(399);
    expect(events).toEqual([]);
    await clock.advance(1);
    expect(events).toEqual([{ at: 500, batch: [1, 2, 3], held: {} }]);
  });

  it('sends a full batch at once and keeps the rest for the next event', async () => {
    const { clock, events, pacer } = setup({ max_batch: 3 });
    for (let i = 1; i <= 7; i++) pacer.offer(i);
    await clock.advance(0);
    expect(events.map((e) => e.batch)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    await clock.advance(500);
    expect(events.map((e) => e.batch)).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('turns a storm into at most max_events_per_minute events a minute, losing nothing', async () => {
    const { clock, events, pacer } = setup({ max_events_per_minute: 2, batch_window_ms: 0, max_batch: 5 });
    for (let i = 1; i <= 30; i++) {
      pacer.offer(i);
      await clock.advance(100);
    }
    const inFirstMinute = events.filter((e) => e.at < 60_000);
    expect(inFirstMinute.length).toBe(2);
    await clock.advance(5 * 60_000);
    expect(events.flatMap((e) => e.batch)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    for (let i = 2; i < events.length; i++)
      expect(events[i]!.at - events[i - 2]!.at).toBeGreaterThanOrEqual(60_000);
  });

  it('waits for the consumer: no second event while the first is being delivered', async () => {
    const { clock, events, pacer, block, release } = setup({ batch_window_ms: 0 });
    block();
    pacer.offer(1);
    await clock.advance(0);
    pacer.offer(2);
    pacer.offer(3);
    await clock.advance(10_000);
    expect(events.map((e) => e.batch)).toEqual([[1]]);
    release();
    await clock.advance(0);
    await clock.advance(0);
    expect(events.map((e) => e.batch)).toEqual([[1], [2, 3]]);
  });

  it('counts held-back messages for the next event, and what overflows memory as held by the pace', async () => {
    const { clock, events, pacer } = setup({ max_events_per_minute: 1, batch_window_ms: 0, max_batch: 50 });
    pacer.hold('importance');
    pacer.hold('sender');
    pacer.hold('importance');
    pacer.offer(0);
    await clock.advance(0);
    expect(events[0]!.held).toEqual({ importance: 2, sender: 1 });
    for (let i = 1; i <= MAX_QUEUED + 5; i++) pacer.offer(i);
    expect(pacer.pending).toBe(MAX_QUEUED);
    await clock.advance(60_000);
    expect(events[1]!.held).toEqual({ pace: 5 });
    expect(events[1]!.batch.length).toBe(50);
  });
});
