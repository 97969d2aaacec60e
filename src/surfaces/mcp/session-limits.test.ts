import { describe, expect, it } from 'vitest';
import { admin, anonymous, asAgent } from '../../core/caller.js';
import { HubError } from '../../core/errors.js';
import { ownerOf, SessionLimits, type SessionLimitsConfig } from './session-limits.js';

const base: SessionLimitsConfig = {
  maxPerCaller: 100,
  maxAnonymous: 1000,
  maxTotal: 10_000,
  perSecond: 1,
  burst: 1000,
  initSeconds: 10,
};

function refusal(fn: () => unknown): HubError {
  try {
    fn();
  } catch (err) {
    if (err instanceof HubError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('ownerOf', () => {
  it('counts anonymous callers by address and others by identity', () => {
    expect(ownerOf(anonymous, '10.0.0.1')).toEqual({ key: 'peer:10.0.0.1', anonymous: true });
    expect(ownerOf(asAgent('a'), '10.0.0.1')).toEqual({ key: 'agent:a', anonymous: false });
    expect(ownerOf(admin, undefined)).toEqual({ key: 'admin', anonymous: false });
  });
});

describe('SessionLimits', () => {
  it('rate-limits new sessions per owner with a token bucket, refilled over time', () => {
    let now = 0;
    const limits = new SessionLimits({ ...base, burst: 2, perSecond: 0.5 }, true, () => now);
    const peer = ownerOf(anonymous, 'p');
    limits.admit(peer);
    limits.admit(peer);
    const err = refusal(() => limits.admit(peer));
    expect(err.code).toBe('rate_limited');
    expect(err.retryAfterSeconds).toBe(2);
    expect(err.message).toMatch(/at most 2 at once, then 0\.5 a second/);
    // Another owner has its own bucket; time refills this one.
    limits.admit(ownerOf(asAgent('a'), 'p'));
    now = 2000;
    limits.admit(peer);
  });

  it('no rate limit when rate limiting is off, but the caps still hold', () => {
    const limits = new SessionLimits({ ...base, burst: 1, maxPerCaller: 3 }, false);
    const peer = ownerOf(anonymous, 'p');
    for (let i = 0; i < 3; i++) limits.admit(peer);
    expect(refusal(() => limits.admit(peer)).details).toMatchObject({ setting: 'mcp.sessions.maxPerCaller' });
  });

  it('caps sessions per owner; a released place can be taken again, once', () => {
    const limits = new SessionLimits({ ...base, maxPerCaller: 2 }, true);
    const agent = ownerOf(asAgent('a'), 'p');
    const release = limits.admit(agent);
    limits.admit(agent);
    const err = refusal(() => limits.admit(agent));
    expect(err.code).toBe('rate_limited');
    expect(err.details).toEqual({ limit: 2, setting: 'mcp.sessions.maxPerCaller' });
    release();
    release();
    limits.admit(agent);
    expect(refusal(() => limits.admit(agent)).code).toBe('rate_limited');
  });

  it('anonymous sessions together have their own cap, which leaves callers with a token alone', () => {
    const limits = new SessionLimits({ ...base, maxAnonymous: 3, maxTotal: 5 }, true);
    for (const peer of ['a', 'b', 'c']) limits.admit(ownerOf(anonymous, peer));
    const err = refusal(() => limits.admit(ownerOf(anonymous, 'd')));
    expect(err.code).toBe('unavailable');
    expect(err.message).toContain('mcp.sessions.maxAnonymous = 3');
    expect(err.retryAfterSeconds).toBe(10);
    limits.admit(ownerOf(asAgent('x'), 'd'));
    limits.admit(ownerOf(admin, 'd'));
    expect(refusal(() => limits.admit(ownerOf(asAgent('y'), 'd'))).details).toMatchObject({
      setting: 'mcp.sessions.maxTotal',
    });
  });
});
