import { describe, expect, it } from 'vitest';
import { TurnClock } from './turn-clock.js';

describe('turn clock', () => {
  it('times each result against the oldest open user turn (a session CLI)', () => {
    const c = new TurnClock();
    expect(c.event('i', 'user', 1000)).toBeUndefined();
    expect(c.event('i', 'user', 1500)).toBeUndefined();
    expect(c.event('i', 'text', 1600)).toBeUndefined();
    expect(c.event('i', 'result', 3000)).toBe(2000);
    expect(c.event('i', 'result', 4000)).toBe(2500);
    expect(c.event('i', 'result', 5000)).toBeUndefined();
  });

  it('a per-turn CLI: a result then its exit ends one turn; an exit without a result drops one', () => {
    const c = new TurnClock();
    c.event('i', 'user', 0);
    c.event('i', 'user', 10);
    expect(c.event('i', 'exit', 50)).toBeUndefined(); // the first turn died without a result
    expect(c.event('i', 'result', 90)).toBe(80); // the second
    c.event('i', 'exit', 95);
    expect(c.size).toBe(0);
  });

  it('drops open turns on restart and at the end, and keeps instances apart', () => {
    const c = new TurnClock();
    c.event('a', 'user', 0);
    c.event('b', 'user', 5);
    c.event('a', 'restart', 10);
    expect(c.event('a', 'result', 20)).toBeUndefined();
    c.ended('b');
    expect(c.event('b', 'result', 30)).toBeUndefined();
    c.event('b', 'user', 40);
    expect(c.event('b', 'result', 45)).toBe(5);
  });
});
