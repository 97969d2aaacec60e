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
  /**
   * gapFill: a message read from the store because a later one came first (it is live, only late);
   * omitted: `replayed` takes it.
   */
  filled?(message: InboxMessageView): void;
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
  /**
   * Cursors are dense per inbox and live messages may arrive out of cursor order (cluster mode: a
   * send on another node reaches this one through the cluster bus, after a later local one). Then a
   * message above the next cursor makes the feed read the gap from the store (via `backlog`) and pass
   * it on first, holding what arrives meanwhile, so the reader never resumes past a message it was
   * not given. Without it (one process, one bus) events arrive in cursor order and cursors have gaps.
   */
  gapFill?: boolean;
  /** A bound on what is held during the replay: past `maxBytes`, `overflow` is called (each time). */
  hold?: { maxBytes: number; sizeOf(event: E | MessageEvent): number; overflow(bytes: number): void };
}

export class Feed<E extends { type: string }> {
  private readonly unsubscribes: Unsubscribe[] = [];
  private held: Array<E | MessageEvent> | undefined = [];
  private heldBytes = 0;
  private lastCursor = 0;
  /** gapFill: whether every cursor up to lastCursor was passed on (or was before the feed began). */
  private contiguous = false;
  private filling = false;
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
    if (since && this.opts.backlog) await this.replay(since);
    const replayedTo = this.lastCursor;
    sink.caughtUp?.(String(Math.max(replayedTo, latest)));
    const held = this.held!;
    let early: MessageEvent[] = [];
    if (since !== undefined || this.opts.latestCursor) {
      // From here on the cursors up to this one are the reader's past (replayed, or before it came).
      this.lastCursor = Math.max(replayedTo, latest, Number(since ?? 0) || 0);
      this.contiguous = true;
      // Without a cursor the feed starts now: what arrived since it subscribed is passed on, even a
      // message that committed just before `latest` was read (skipping it would lose it for this
      // reader, whose `caughtUp` cursor already covers it). Those go first, in cursor order.
      const isEarly = (e: E | MessageEvent): e is MessageEvent =>
        e.type === 'message' && Number((e as MessageEvent).cursor) <= this.lastCursor;
      early = held
        .filter(isEarly)
        .filter((m) => Number(m.cursor) > replayedTo)
        .sort((x, y) => Number(x.cursor) - Number(y.cursor));
      this.held = held.filter((e) => !isEarly(e));
      if (this.opts.hold) this.heldBytes = this.held.reduce((n, e) => n + this.opts.hold!.sizeOf(e), 0);
    }
    for (const message of early) {
      if (sink.drained) await sink.drained();
      if (!this.isOpen()) return;
      sink.message(message);
    }
    // Then the rest in arrival order (events that come meanwhile are held behind them). A message
    // above the next cursor starts a gap fill, which takes over what is still held.
    const rest = this.held!;
    while (rest.length > 0 && this.isOpen()) {
      if (sink.drained) await sink.drained();
      const next = rest.shift()!;
      if (this.opts.hold) this.heldBytes -= this.opts.hold.sizeOf(next);
      this.pass(next);
      if (this.filling) return;
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
    if (!this.held && !this.filling) return this.pass(event);
    if (!this.held) {
      this.held = [event];
      return;
    }
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
    if (this.opts.gapFill && this.opts.backlog && this.contiguous && cursor > this.lastCursor + 1) {
      void this.fillGap(message);
      return;
    }
    this.lastCursor = cursor;
    if (this.opts.gapFill) this.contiguous = true;
    sink.message(message);
  }

  /**
   * gapFill: `message` came before a lower cursor did. Every lower cursor has committed already (a
   * cursor is taken only after the one below it committed), so the store has them: pass them on from
   * there, in order, then what was held meanwhile (the late live events are skipped as passed).
   */
  private async fillGap(message: MessageEvent): Promise<void> {
    this.filling = true;
    // Whatever is still held (a gap found while the feed drains what came during its start) waits too.
    this.held = [message, ...(this.held ?? [])];
    if (this.opts.hold) this.heldBytes += this.opts.hold.sizeOf(message);
    const sink = this.sink!;
    try {
      for await (const page of this.opts.backlog!(String(this.lastCursor))) {
        for (const m of page) {
          if (!this.isOpen()) return;
          if (Number(m.cursor) <= this.lastCursor) continue;
          if (sink.drained) await sink.drained();
          if (sink.filled) sink.filled(m);
          else sink.replayed(m);
          this.lastCursor = Number(m.cursor);
        }
      }
    } catch {
      // The store did not answer: pass on what is held; the reader resumes by cursor as after any gap.
      this.contiguous = false;
    } finally {
      const held = this.held ?? [];
      this.held = undefined;
      this.filling = false;
      while (held.length > 0 && this.isOpen()) {
        const next = held.shift()!;
        if (this.opts.hold) this.heldBytes -= this.opts.hold.sizeOf(next);
        if (this.filling) this.held!.push(next);
        else this.pass(next);
      }
    }
  }
}
