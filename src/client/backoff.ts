/** Reconnect delays: exponential with jitter, capped, reset after a successful connection. */
export interface BackoffOptions {
  /** First delay (default 200 ms). */
  initialDelayMs?: number;
  /** Longest delay (default 10 s). */
  maxDelayMs?: number;
}

export class Backoff {
  private attempt = 0;
  private readonly initial: number;
  private readonly max: number;

  constructor(opts: BackoffOptions = {}) {
    this.initial = Math.max(1, opts.initialDelayMs ?? 200);
    this.max = Math.max(this.initial, opts.maxDelayMs ?? 10_000);
  }

  /** The next delay: initial·2ⁿ, capped, with ±25 % jitter so clients do not reconnect in lockstep. */
  next(): number {
    const base = Math.min(this.max, this.initial * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(base * (0.75 + Math.random() * 0.5));
  }

  reset(): void {
    this.attempt = 0;
  }
}
