/**
 * A downstream server's own rate limit, on a clock the test moves: a server without `rateLimit` is
 * never limited; with one, `burst` calls pass at once, the next is refused with rate_limited naming
 * the server, its limit and retry_after, and tokens come back at `perSecond`.
 */
import { describe, expect, it } from 'vitest';
import { serverSpecSchema } from '../../config/gateway.js';
import { HubError } from '../../core/errors.js';
import { serverRateLimit } from './rate-limit.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

function limited(rateLimit?: { perSecond: number; burst: number }) {
  const clock = { ms: T0 };
  const spec = serverSpecSchema.parse({ name: 'slow', command: 'true', ...(rateLimit ? { rateLimit } : {}) });
  return { take: serverRateLimit(spec, () => clock.ms), advance: (s: number) => void (clock.ms += s * 1000) };
}

function refusal(take: () => void): HubError {
  try {
    take();
  } catch (err) {
    if (err instanceof HubError) return err;
    throw err;
  }
  throw new Error('the call was let through');
}

describe('server rate limit', () => {
  it('never limits a server without rateLimit', () => {
    const { take } = limited();
    for (let i = 0; i < 1000; i++) take();
  });

  it('lets burst calls through, then refuses naming the server, its limit and retry_after', () => {
    const { take } = limited({ perSecond: 0.5, burst: 3 });
    for (let i = 0; i < 3; i++) take();
    const err = refusal(take);
    expect(err.code).toBe('rate_limited');
    expect(err.message).toBe(
      'slow: rate limit reached (0.5/s, burst 3); the call was not sent; retry_after 2 s',
    );
    expect(err.retryAfterSeconds).toBe(2);
    expect(err.details).toEqual({ server: 'slow', retry_after: 2 });
  });

  it('gives tokens back at perSecond', () => {
    const { take, advance } = limited({ perSecond: 2, burst: 1 });
    take();
    expect(refusal(take).code).toBe('rate_limited');
    advance(0.5);
    take();
    expect(refusal(take).code).toBe('rate_limited');
  });
});
