/**
 * An instance's budget: which limit stops it, with the reason recorded. Tokens and cost stop it once
 * past the limit, turns once the count reaches it; wall and idle time once past, a turn in flight
 * named as such.
 */
import { describe, expect, it } from 'vitest';
import { timeLimitReached, usageLimitReached } from './limits.js';

const used = (tokens: number, costUsd = 0, turns = 0) => ({ tokens, costUsd, turns });

describe('usage limits', () => {
  it('no limits: never stops', () => {
    expect(usageLimitReached({}, used(1e12, 1e6, 1e6))).toBeNull();
  });

  it('tokens and cost: stop once past the limit, not at it', () => {
    expect(usageLimitReached({ max_tokens: 1000 }, used(1000))).toBeNull();
    expect(usageLimitReached({ max_tokens: 1000 }, used(1001))).toBe(
      'max_tokens exceeded: 1001 tokens used, limit 1000',
    );
    expect(usageLimitReached({ max_cost_usd: 0.5 }, used(0, 0.5))).toBeNull();
    expect(usageLimitReached({ max_cost_usd: 0.5 }, used(0, 0.51))).toBe(
      'max_cost_usd exceeded: 0.51 USD spent, limit 0.5',
    );
  });

  it('turns: stop once the count reaches the limit', () => {
    expect(usageLimitReached({ max_turns: 3 }, used(0, 0, 2))).toBeNull();
    expect(usageLimitReached({ max_turns: 3 }, used(0, 0, 3))).toBe('max_turns reached: 3 turns, limit 3');
  });

  it('names the tokens first when several limits are passed at once', () => {
    expect(usageLimitReached({ max_tokens: 1, max_cost_usd: 0, max_turns: 1 }, used(5, 1, 9))).toBe(
      'max_tokens exceeded: 5 tokens used, limit 1',
    );
  });
});

describe('time limits', () => {
  const T0 = 1_000_000;
  const at = (nowS: number, lastActivityS = 0, busy = false) => ({
    startedMs: T0,
    lastActivityMs: T0 + lastActivityS * 1000,
    busy,
    nowMs: T0 + nowS * 1000,
  });

  it('wall time: once past the limit', () => {
    expect(timeLimitReached({ max_wall_seconds: 60 }, at(60, 60))).toBeNull();
    expect(timeLimitReached({ max_wall_seconds: 60 }, at(60.4, 60))).toBe(
      'max_wall_seconds exceeded: ran 60 s, limit 60',
    );
  });

  it('idle time: once past the limit since the last output, saying when a turn was in flight', () => {
    expect(timeLimitReached({ max_idle_seconds: 30 }, at(130, 100))).toBeNull();
    expect(timeLimitReached({ max_idle_seconds: 30 }, at(131, 100))).toBe(
      'max_idle_seconds exceeded: no output for 31 s, limit 30',
    );
    expect(timeLimitReached({ max_idle_seconds: 30 }, at(131, 100, true))).toBe(
      'max_idle_seconds exceeded: no output for 31 s during a turn, limit 30',
    );
  });

  it('no limits: never stops', () => {
    expect(timeLimitReached({}, at(1e9))).toBeNull();
  });
});
