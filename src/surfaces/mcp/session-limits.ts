/**
 * Who may open a 2025-era MCP session: a token bucket of new sessions per caller, and caps on open
 * sessions per caller, for all sessions opened without a token together, and in all. A caller with a
 * token is counted by its identity, one without by its address, so anonymous floods spend their own
 * budgets and never the ones of callers with a token. Each refusal names the limit and its setting.
 */
import { type Caller, callerKey } from '../../core/caller.js';
import { HubError } from '../../core/errors.js';
import { RateLimiter } from '../../core/rate-limit.js';

export interface SessionLimitsConfig {
  maxPerCaller: number;
  maxAnonymous: number;
  maxTotal: number;
  perSecond: number;
  burst: number;
  initSeconds: number;
}

/** The budget a new session is counted against. */
export interface SessionOwner {
  /** `agent:<id>` / `admin` for a caller with a token, `peer:<address>` without one. */
  key: string;
  anonymous: boolean;
}

export function ownerOf(caller: Caller, remote: string | undefined): SessionOwner {
  return caller.kind === 'anonymous'
    ? { key: `peer:${remote ?? 'local'}`, anonymous: true }
    : { key: callerKey(caller), anonymous: false };
}

const SETTING = 'mcp.sessions';

export class SessionLimits {
  private readonly perOwner = new Map<string, number>();
  private anonymous = 0;
  private total = 0;
  private readonly limiter: RateLimiter;

  constructor(
    private readonly config: SessionLimitsConfig,
    rateLimited: boolean,
    now: () => number = Date.now,
  ) {
    this.limiter = new RateLimiter(
      { enabled: rateLimited, perSecond: config.perSecond, burst: config.burst },
      now,
    );
  }

  /**
   * Counts one new session for `owner`, or throws the refusal (rate_limited or unavailable, with the
   * limit and its setting in details). The returned function gives the place back (once).
   */
  admit(owner: SessionOwner): () => void {
    const { maxPerCaller, maxAnonymous, maxTotal, initSeconds } = this.config;
    const who = owner.anonymous
      ? `address ${owner.key.slice('peer:'.length)} (without a token)`
      : owner.key.replace(':', ' ');
    const open = this.perOwner.get(owner.key) ?? 0;
    if (open >= maxPerCaller) {
      throw refusal(
        'rate_limited',
        `${who} already has ${open} open MCP sessions, the most one caller may have (${SETTING}.maxPerCaller = ${maxPerCaller}); ` +
          'close one (DELETE /mcp with its Mcp-Session-Id) or reuse it',
        { limit: maxPerCaller, setting: `${SETTING}.maxPerCaller` },
      );
    }
    if (owner.anonymous && this.anonymous >= maxAnonymous) {
      throw refusal(
        'unavailable',
        `The hub has ${this.anonymous} open MCP sessions opened without a token, the most it keeps (${SETTING}.maxAnonymous = ${maxAnonymous}); ` +
          'connect with Authorization: Bearer <token> (a separate budget) or retry later',
        { limit: maxAnonymous, setting: `${SETTING}.maxAnonymous` },
        Math.ceil(initSeconds),
      );
    }
    if (this.total >= maxTotal) {
      throw refusal(
        'unavailable',
        `The hub has ${this.total} open MCP sessions, the most it keeps (${SETTING}.maxTotal = ${maxTotal}); retry later`,
        { limit: maxTotal, setting: `${SETTING}.maxTotal` },
        Math.ceil(initSeconds),
      );
    }
    this.takeToken(owner, who);
    this.count(owner, +1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.count(owner, -1);
    };
  }

  private takeToken(owner: SessionOwner, who: string): void {
    try {
      this.limiter.take(owner.key);
    } catch (err) {
      const retry = err instanceof HubError ? (err.retryAfterSeconds ?? 1) : 1;
      const { burst, perSecond } = this.config;
      throw refusal(
        'rate_limited',
        `Too many new MCP sessions from ${who}: at most ${burst} at once, then ${perSecond} a second ` +
          `(${SETTING}.burst / ${SETTING}.perSecond); retry after ${retry} s`,
        { limit: burst, per_second: perSecond, setting: `${SETTING}.perSecond` },
        retry,
      );
    }
  }

  private count(owner: SessionOwner, delta: number): void {
    const n = (this.perOwner.get(owner.key) ?? 0) + delta;
    if (n > 0) this.perOwner.set(owner.key, n);
    else this.perOwner.delete(owner.key);
    if (owner.anonymous) this.anonymous += delta;
    this.total += delta;
  }
}

function refusal(
  code: 'rate_limited' | 'unavailable',
  message: string,
  details: Record<string, unknown>,
  retryAfterSeconds?: number,
): HubError {
  return new HubError(code, message, {
    details:
      retryAfterSeconds === undefined ? details : { ...details, retry_after_seconds: retryAfterSeconds },
    retryAfterSeconds,
  });
}
