/**
 * A resumable feed: one subscriber's live events, resumed after a cursor without a gap or a repeat.
 * It subscribes to the bus first and holds what arrives, replays the agent's messages from the store
 * after the cursor, drains what it held, then passes events on as they come; a message at or below
 * the last cursor it passed on is skipped. So a message that commits during the replay arrives once,
 * in cursor order. The WebSocket and the SSE stream are built on it; it knows nothing of either.
 */
import type { Bus, Unsubscribe } from '../bus/bus.js';
import type { HubEvent } from '../bus/events.js';
import type { InboxMessageView } from '../core/wire/index.js';

export type MessageEvent = Extract<HubEvent, { type: 'message' }>;

/** One bus channel the feed follows, and what of each event it passes on (undefined: nothing). */
export interface FeedSubscription<E> {
  channel: string;
  select(event: HubEvent): E | MessageEvent | undefined;
}

/** Where a feed's events go. */
export interface FeedSink<E> {
  /** A message read back from the store during the replay, in cursor order. */
  replayed(message: InboxMessageView): void;
  /** The replay is done (`cursor`: the newest cursor covered); held and live events follow. */
  caughtUp?(cursor: string): void;
  /** A live message above the last cursor passed on. */
  message(event: MessageEvent): void;
  /** Any other live event. */
  event(event: E): void;
  /** Resolves once the sink can take more: a backlog is passed on at the reader's pace. */
  drained?(): Promise<void>;
  /** False once the sink is gone or ended: the replay and the drain stop. */
  readonly open?: boolean;
}

export interface FeedOptions<E> {
  bus: Bus;
  subscriptions: Array<FeedSubscription<E>>;
  /** The agent's messages after a cursor, page by page (omit: nothing is replayed). */
  backlog?(since: string): AsyncIterable<InboxMessageView[]>;
  /**
   * The agent's newest cursor: `caughtUp` reports at least it (a feed without a cursor to resume
   * from starts live, passing on everything that arrives once it has subscribed).
   */
  latestCursor?(): Promise<string>;
  /** A bound on what is held during the replay: past `maxBytes`, `overflow` is called (each time). */
  hold?: { maxBytes: number; sizeOf(event: E | MessageEvent): number; overflow(bytes: number): void };
}

export class Feed<E extends { type: string }> {
  private readonly unsubscribes: Unsubscribe[] = [];
  private held: Array<E | MessageEvent> | undefined = [];
  private heldBytes = 0;
  private lastCursor = 0;
  private sink?: FeedSink<E>;
  private closed = false;

  constructor(private readonly opts: FeedOptions<E>) {}

  /** The cursor of the last message passed on ("0": none yet). */
  get cursor(): string {
    return String(this.lastCursor);
  }

  /**
   * Subscribes, replays after `since` (when given and a backlog is), drains what was held and goes
   * live. Resolves once live; events keep coming to the sink until `close()`.
   */
  async start(sink: FeedSink<E>, since?: string): Promise<void> {
    if (this.sink) throw new Error('A feed starts once');
    this.sink = sink;
    if (this.closed) return;
    for (const { channel, select } of this.opts.subscriptions) {
      this.unsubscribes.push(
        this.opts.bus.subscribe(channel, (event) => {
          const selected = select(event);
          if (selected) this.arrive(selected);
        }),
      );
    }
    const latest = this.opts.latestCursor ? Number(await this.opts.latestCursor()) : 0;
    // Without a cursor the feed starts now: what arrived since it subscribed is passed on, even a
    // message that committed just before `latest` was read (skipping it would lose it for this
    // reader, whose `caughtUp` cursor already covers it).
    if (since && this.opts.backlog) await this.replay(since);
    sink.caughtUp?.(String(Math.max(this.lastCursor, latest)));
    const held = this.held!;
    while (held.length > 0 && this.isOpen()) {
      if (sink.drained) await sink.drained();
      const next = held.shift()!;
      if (this.opts.hold) this.heldBytes -= this.opts.hold.sizeOf(next);
      this.pass(next);
    }
    this.held = undefined;
  }

  /** Stops following the bus; nothing more reaches the sink. */
  close(): void {
    this.closed = true;
    for (const stop of this.unsubscribes.splice(0)) stop();
  }

  private isOpen(): boolean {
    return !this.closed && this.sink?.open !== false;
  }

  private async replay(since: string): Promise<void> {
    const sink = this.sink!;
    for await (const page of this.opts.backlog!(since)) {
      for (const message of page) {
        if (sink.drained) await sink.drained();
        if (!this.isOpen()) return;
        sink.replayed(message);
        this.lastCursor = Math.max(this.lastCursor, Number(message.cursor));
      }
    }
  }

  private arrive(event: E | MessageEvent): void {
    if (this.closed) return;
    if (!this.held) return this.pass(event);
    this.held.push(event);
    const hold = this.opts.hold;
    if (!hold) return;
    this.heldBytes += hold.sizeOf(event);
    if (this.heldBytes > hold.maxBytes) hold.overflow(this.heldBytes);
  }

  private pass(event: E | MessageEvent): void {
    const sink = this.sink!;
    if (event.type !== 'message') {
      sink.event(event as E);
      return;
    }
    const message = event as MessageEvent;
    const cursor = Number(message.cursor);
    if (cursor <= this.lastCursor) return;
    this.lastCursor = cursor;
    sink.message(message);
  }
}
