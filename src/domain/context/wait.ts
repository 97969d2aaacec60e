/** Blocks until a bus channel reports something, the timeout passes, or the caller goes away. */
import type { Bus } from '../../bus/bus.js';

export interface ChannelWaiter {
  /** Resolves true when woken by an event, false on timeout or abort. */
  next(remainingMs: number): Promise<boolean>;
  close(): void;
}

/** Subscribes at once, so an event between the caller's read and its wait is never missed. */
export function channelWaiter(bus: Bus, channel: string, signal?: AbortSignal): ChannelWaiter {
  let pending = false;
  let wake: ((woken: boolean) => void) | undefined;
  const unsubscribe = bus.subscribe(channel, () => {
    pending = true;
    wake?.(true);
  });
  return {
    next(remainingMs) {
      if (pending) {
        pending = false;
        return Promise.resolve(true);
      }
      if (signal?.aborted || remainingMs <= 0) return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => done(false), remainingMs);
        const onAbort = () => done(false);
        signal?.addEventListener('abort', onAbort, { once: true });
        function done(woken: boolean) {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          wake = undefined;
          pending = false;
          resolve(woken);
        }
        wake = done;
      });
    },
    close: unsubscribe,
  };
}
