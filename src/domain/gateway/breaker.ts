/**
 * A circuit breaker per downstream server. Closed: calls pass, consecutive failures are counted.
 * Open (threshold reached, or the connection was lost): calls are refused at once until the reset
 * time passes. Half-open: one trial call at a time; its success closes, its failure re-opens.
 */
import type { BreakerView } from '../../core/wire/index.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  failureThreshold: number;
  resetSeconds: number;
}

export class CircuitBreaker {
  private _state: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;

  constructor(
    private readonly opts: BreakerOptions,
    private readonly now: () => number,
  ) {}

  get state(): BreakerState {
    if (this._state === 'open' && this.now() >= this.openedAt + this.opts.resetSeconds * 1000) {
      this._state = 'half_open';
      this.trialInFlight = false;
    }
    return this._state;
  }

  /** Whether a call may go through now; a half-open breaker admits one trial at a time. */
  tryPass(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  /** Milliseconds until an open breaker goes half-open. */
  retryInMs(): number {
    return this._state === 'open'
      ? Math.max(0, this.openedAt + this.opts.resetSeconds * 1000 - this.now())
      : 0;
  }

  success(): void {
    this._state = 'closed';
    this.failures = 0;
    this.trialInFlight = false;
  }

  failure(): void {
    this.failures += 1;
    this.trialInFlight = false;
    if (this._state === 'half_open' || this.failures >= this.opts.failureThreshold) this.trip();
  }

  /** Open now (a failed trial, too many failures, or the connection was lost). */
  trip(): void {
    this._state = 'open';
    this.openedAt = this.now();
    this.trialInFlight = false;
  }

  /** After a reconnect: let a trial call (or a health check) decide. */
  halfOpen(): void {
    if (this._state === 'open') {
      this._state = 'half_open';
      this.trialInFlight = false;
    }
  }

  view(): BreakerView {
    const state = this.state;
    return {
      state,
      consecutive_failures: this.failures,
      opened_at: state === 'closed' ? null : new Date(this.openedAt).toISOString(),
      retry_at:
        state === 'open' ? new Date(this.openedAt + this.opts.resetSeconds * 1000).toISOString() : null,
    };
  }
}
