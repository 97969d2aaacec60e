/**
 * The circuit breaker per downstream server, on a clock the test moves: closed → open after the
 * threshold of consecutive failures, refusing at once until the reset time, then half-open with one
 * trial call at a time, which closes it or opens it again; and what `view()` reports at each step.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './breaker.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

function breaker(failureThreshold = 3, resetSeconds = 30) {
  const clock = { ms: T0 };
  const b = new CircuitBreaker({ failureThreshold, resetSeconds }, () => clock.ms);
  return { b, clock, advance: (seconds: number) => void (clock.ms += seconds * 1000) };
}

describe('circuit breaker', () => {
  it('starts closed and lets every call through', () => {
    const { b } = breaker();
    expect(b.view()).toEqual({ state: 'closed', consecutive_failures: 0, opened_at: null, retry_at: null });
    for (let i = 0; i < 10; i++) expect(b.tryPass()).toBe(true);
    expect(b.retryInMs()).toBe(0);
  });

  it('opens on the threshold-th consecutive failure, not before', () => {
    const { b } = breaker(3);
    b.failure();
    b.failure();
    expect(b.state).toBe('closed');
    expect(b.view().consecutive_failures).toBe(2);
    b.failure();
    expect(b.state).toBe('open');
    expect(b.tryPass()).toBe(false);
    expect(b.view()).toEqual({
      state: 'open',
      consecutive_failures: 3,
      opened_at: new Date(T0).toISOString(),
      retry_at: new Date(T0 + 30_000).toISOString(),
    });
  });

  it('a success in between starts the count again', () => {
    const { b } = breaker(3);
    b.failure();
    b.failure();
    b.success();
    b.failure();
    b.failure();
    expect(b.state).toBe('closed');
    expect(b.view().consecutive_failures).toBe(2);
  });

  it('refuses until the reset time, counting down, then goes half-open', () => {
    const { b, clock } = breaker(1, 30);
    b.failure();
    expect(b.retryInMs()).toBe(30_000);
    clock.ms += 29_999;
    expect(b.retryInMs()).toBe(1);
    expect(b.tryPass()).toBe(false);
    expect(b.state).toBe('open');
    clock.ms += 1;
    expect(b.state).toBe('half_open');
    expect(b.retryInMs()).toBe(0);
    expect(b.view()).toMatchObject({ state: 'half_open', retry_at: null });
  });

  it('half-open admits one trial at a time; its success closes the breaker', () => {
    const { b, advance } = breaker(1, 30);
    b.failure();
    advance(30);
    expect(b.tryPass()).toBe(true);
    expect(b.tryPass()).toBe(false);
    expect(b.tryPass()).toBe(false);
    b.success();
    expect(b.view()).toEqual({ state: 'closed', consecutive_failures: 0, opened_at: null, retry_at: null });
    expect(b.tryPass()).toBe(true);
    expect(b.tryPass()).toBe(true);
  });

  it('a failed trial opens it again for a whole reset period from then', () => {
    const { b, advance } = breaker(3, 30);
    for (let i = 0; i < 3; i++) b.failure();
    advance(45);
    expect(b.tryPass()).toBe(true);
    b.failure(); // one failure is enough when half-open
    expect(b.view()).toEqual({
      state: 'open',
      consecutive_failures: 4,
      opened_at: new Date(T0 + 45_000).toISOString(),
      retry_at: new Date(T0 + 75_000).toISOString(),
    });
    advance(29);
    expect(b.tryPass()).toBe(false);
    advance(1);
    expect(b.tryPass()).toBe(true);
  });

  it('trip() opens at once (a lost connection), halfOpen() lets a reconnect try at once', () => {
    const { b, advance } = breaker(5, 60);
    b.trip();
    expect(b.state).toBe('open');
    expect(b.view().consecutive_failures).toBe(0);
    advance(10);
    b.halfOpen();
    expect(b.state).toBe('half_open');
    expect(b.tryPass()).toBe(true);
    expect(b.tryPass()).toBe(false);
    // A reconnect while the trial is out admits no second trial.
    b.halfOpen();
    expect(b.tryPass()).toBe(false);
    // halfOpen() on a closed breaker changes nothing.
    b.success();
    b.halfOpen();
    expect(b.state).toBe('closed');
  });

  it('never lets a call through while open, whatever the sequence of events (property)', () => {
    type Step = 'pass' | 'success' | 'failure' | 'trip' | 'halfOpen' | number;
    const step = fc.oneof(
      fc.constantFrom<Step>('pass', 'success', 'failure', 'trip', 'halfOpen'),
      fc.integer({ min: 0, max: 40 }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const { b, clock, advance } = breaker(3, 30);
        let trialOut = false;
        for (const s of steps) {
          if (typeof s === 'number') advance(s);
          else if (s === 'pass') {
            const state = b.state;
            const passed = b.tryPass();
            if (state === 'open') expect(passed).toBe(false);
            if (state === 'closed') expect(passed).toBe(true);
            // Half-open: exactly one trial until it reports back.
            if (state === 'half_open') expect(passed).toBe(!trialOut);
            if (state === 'half_open' && passed) trialOut = true;
          } else {
            // halfOpen() on a breaker already half-open leaves its trial in flight.
            if (s !== 'halfOpen' || b.state === 'open') trialOut = false;
            b[s]();
          }
          if (b.state === 'closed') trialOut = false;
          const view = b.view();
          if (view.state === 'open') expect(Date.parse(view.retry_at!)).toBeGreaterThan(clock.ms);
          else expect(view.retry_at).toBeNull();
        }
      }),
      { numRuns: 1000 },
    );
  });
});
