/**
 * A downstream server's own rate limit (`rateLimit` of its spec): a token per call, or rate_limited
 * at once (with retry_after) naming the server and its limit; the call is then not sent.
 */
import type { ServerSpec } from '../../config/gateway.js';
import { HubError } from '../../core/errors.js';
import { RateLimiter } from '../../core/rate-limit.js';

/** Takes a token of the server's rate limit or throws; a server without a limit never throws. */
export function serverRateLimit(spec: ServerSpec, now: () => number): () => void {
  const limit = spec.rateLimit;
  if (!limit) return () => {};
  const limiter = new RateLimiter({ enabled: true, ...limit }, now);
  return () => {
    try {
      limiter.take(spec.name);
    } catch (err) {
      if (!(err instanceof HubError) || err.code !== 'rate_limited') throw err;
      const retryAfter = err.retryAfterSeconds ?? 1;
      const { perSecond, burst } = limit;
      throw new HubError(
        'rate_limited',
        `${spec.name}: rate limit reached (${perSecond}/s, burst ${burst}); the call was not sent; retry_after ${retryAfter} s`,
        { details: { server: spec.name, retry_after: retryAfter }, retryAfterSeconds: retryAfter },
      );
    }
  };
}
