/**
 * Clocks for a hub started with `{ clock }`.
 *
 * TestClock: a clock a test moves by hand, for a hub started with `{ clock }`: `now()` is what the hub reads.
 * `advance(seconds)` moves it on, `set(ms)` puts it at an instant, and `at('23:59', 1)` at that
 * minute of 2026-03-0<day> (UTC), so rollup buckets are exact. It starts at `ms` (default: now).
 */
export class TestClock {
  constructor(public ms: number = Date.now()) {}
  now = () => this.ms;
  advance(seconds: number) {
    this.ms += seconds * 1000;
  }
  set(ms: number) {
    this.ms = ms;
  }
  at(hhmm: string, day = 1) {
    this.ms = Date.parse(`2026-03-0${day}T${hhmm}:00.000Z`);
  }
}

/** Real time, moved on by hand: for tests that also run on the hub's real timers but skip ahead. */
export class ShiftedClock {
  offsetMs = 0;
  now = () => Date.now() + this.offsetMs;
  advance(seconds: number) {
    this.offsetMs += seconds * 1000;
  }
}
