/** Per-caller token buckets: `perSecond` refill, `burst` capacity. */
import { HubError } from './errors.js';

export interface RateLimitConfig {
  enabled: boolean;
  perSecond: number;
  burst: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; updated: number }>();

  constructor(
    private readonly config: RateLimitConfig,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token for `key` or throws `rate_limited` with the seconds until the next one. */
  take(key: string): void {
    if (!this.config.enabled) return;
    const now = this.now();
    const { perSecond, burst } = this.config;
    const bucket = this.buckets.get(key) ?? { tokens: burst, updated: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.updated) / 1000) * perSecond);
    bucket.updated = now;
    if (bucket.tokens < 1) {
      this.buckets.set(key, bucket);
      const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
      throw new HubError(
        'rate_limited',
        `Too many requests; slow down and retry after ${retryAfterSeconds} s`,
        {
          retryAfterSeconds,
        },
      );
    }
    bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    if (this.buckets.size > 10_000) this.prune(now);
  }

  private prune(now: number): void {
    const full = this.config.burst / this.config.perSecond;
    for (const [k, b] of this.buckets) if ((now - b.updated) / 1000 > full) this.buckets.delete(k);
  }
}
