/**
 * The pace of pushes into one session: messages that arrive together go out together (a batch
 * window, at most `max_batch` per event), at most `max_events_per_minute` events in any 60 s, and one
 * event at a time (the next waits until the consumer has delivered the last: a channel notification
 * written, or an instance's turn over). A storm of messages becomes a few events, never a storm of
 * events. Nothing is dropped: what waits past the in-memory bound stays unread in the inbox and is
 * counted as held back, like what the filters hold back, and the next event says how many.
 */
import type { HoldReason } from './filter.js';
import type { DeliverySettings } from './settings.js';

export interface PacerClock {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export const realClock: PacerClock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Messages held back since the last event, by why. */
export type HeldCounts = Partial<Record<HoldReason | 'pace', number>>;

export type Deliver<M> = (batch: M[], held: HeldCounts) => Promise<void>;

/** Messages a pacer keeps in memory while it waits; past it they wait in the inbox only. */
export const MAX_QUEUED = 1000;

export class DeliveryPacer<M> {
  private queue: M[] = [];
  private held: HeldCounts = {};
  private sent: number[] = [];
  private timer: unknown;
  private timerAt = 0;
  private busy = false;
  private closed = false;

  constructor(
    private settings: Pick<DeliverySettings, 'max_events_per_minute' | 'batch_window_ms' | 'max_batch'>,
    private readonly deliver: Deliver<M>,
    private readonly onError: (err: unknown) => void = () => {},
    private readonly clock: PacerClock = realClock,
  ) {}

  /** Settings changed (e.g. `set_delivery_settings`): they apply from the next event. */
  update(settings: Pick<DeliverySettings, 'max_events_per_minute' | 'batch_window_ms' | 'max_batch'>): void {
    this.settings = settings;
    this.schedule();
  }

  /** A message to push. */
  offer(m: M): void {
    if (this.closed) return;
    if (this.queue.length >= MAX_QUEUED) {
      this.count('pace');
      return;
    }
    this.queue.push(m);
    this.schedule();
  }

  /** A message the filters hold back: counted for the next event. */
  hold(reason: HoldReason): void {
    this.count(reason);
  }

  /** How many messages wait for an event. */
  get pending(): number {
    return this.queue.length;
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.queue = [];
  }

  private count(reason: HoldReason | 'pace'): void {
    this.held[reason] = (this.held[reason] ?? 0) + 1;
  }

  /** When the next event may go out: after the batch window, and not before the minute allows it. */
  private nextAt(): number {
    const now = this.clock.now();
    this.sent = this.sent.filter((t) => t > now - 60_000);
    const full = this.queue.length >= this.settings.max_batch;
    let at = full ? now : now + this.settings.batch_window_ms;
    if (this.sent.length >= this.settings.max_events_per_minute) {
      const oldest = this.sent[this.sent.length - this.settings.max_events_per_minute]!;
      at = Math.max(at, oldest + 60_000);
    }
    return at;
  }

  private schedule(): void {
    if (this.closed || this.busy || this.queue.length === 0) return;
    const at = this.nextAt();
    if (this.timer !== undefined) {
      if (this.timerAt <= at) return; // an earlier flush is already set
      this.clock.clearTimer(this.timer);
    }
    this.timerAt = at;
    this.timer = this.clock.setTimer(() => void this.flush(), Math.max(0, at - this.clock.now()));
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    if (this.closed || this.busy || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.settings.max_batch);
    const held = this.held;
    this.held = {};
    this.busy = true;
    this.sent.push(this.clock.now());
    try {
      await this.deliver(batch, held);
    } catch (err) {
      this.onError(err);
    } finally {
      this.busy = false;
      this.schedule();
    }
  }
}
