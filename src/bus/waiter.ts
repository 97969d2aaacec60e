/**
 * Blocks a call until what it waits for has happened: woken by bus events (no polling), ended by a
 * timeout or by the caller going away. Create it BEFORE the action whose answer it waits for, so an
 * answer that comes back at once is not missed.
 */
import type { Bus } from './bus.js';
import type { HubEvent } from './events.js';

/** Called every few seconds while a call blocks: seconds waited so far, and the most it will wait. */
export type WaitProgress = (elapsedSeconds: number, totalSeconds: number) => void;

export interface UntilOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  progress?: WaitProgress;
  progressEveryMs?: number;
}

export class Waiter {
  private wake: (() => void) | undefined;
  private pending = false;
  private readonly unsubscribes: Array<() => void>;

  /**
   * Wakes on events of these bus channels (those `relevant` accepts), or on any source that calls
   * back: `new Waiter((wake) => registry.watch(id, wake))`, where the function returns its unsubscribe.
   */
  constructor(
    source: Bus | ((wake: () => void) => () => void),
    channelNames: string[] = [],
    relevant: (event: HubEvent) => boolean = () => true,
  ) {
    const notify = () => {
      this.pending = true;
      this.wake?.();
    };
    this.unsubscribes =
      typeof source === 'function'
        ? [source(notify)]
        : channelNames.map((channel) =>
            source.subscribe(channel, (event) => {
              if (relevant(event)) notify();
            }),
          );
  }

  /** Runs `check` now and after each relevant event until it gives a value; undefined on timeout or abort. */
  async until<T>(
    check: () => T | undefined | Promise<T | undefined>,
    opts: UntilOptions,
  ): Promise<T | undefined> {
    const started = Date.now();
    const deadline = started + opts.timeoutMs;
    const { signal, progress } = opts;
    const ticker = progress
      ? setInterval(
          () => progress(Math.round((Date.now() - started) / 1000), Math.round(opts.timeoutMs / 1000)),
          opts.progressEveryMs ?? 5000,
        )
      : undefined;
    try {
      for (;;) {
        this.pending = false;
        const value = await check();
        if (value !== undefined) return value;
        const remaining = deadline - Date.now();
        if (remaining <= 0 || signal?.aborted) return undefined;
        if (this.pending) continue;
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            this.wake = undefined;
            resolve();
          };
          const timer = setTimeout(done, remaining);
          signal?.addEventListener('abort', done, { once: true });
          this.wake = done;
        });
      }
    } finally {
      if (ticker) clearInterval(ticker);
    }
  }

  close(): void {
    for (const unsubscribe of this.unsubscribes) unsubscribe();
  }
}
