/**
 * A clock a test moves by hand, for a hub started with `{ clock }`: `now()` is what the hub reads,
 * `at('23:59', 1)` sets it to that minute of 2026-03-0<day> (UTC), so rollup buckets are exact.
 */
export class TestClock {
  constructor(public ms: number) {}
  now = () => this.ms;
  at(hhmm: string, day = 1) {
    this.ms = Date.parse(`2026-03-0${day}T${hhmm}:00.000Z`);
  }
}
