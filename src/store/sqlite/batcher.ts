/**
 * Group commit. Writes queue up and are applied together in one transaction on the next turn of
 * the event loop; each write runs inside its own savepoint, so one failing write rolls back alone.
 * A write's promise settles only after its transaction has committed.
 *
 * A transaction takes at most `maxWrites` writes, in the order they were queued; the rest wait for
 * the next turn (setImmediate), so a backlog of thousands of writes (after a stall, or a burst) is
 * committed in slices with the event loop free in between, instead of holding it for one long
 * transaction (1,000–3,000 writes held it for up to 180 ms, and every socket with it).
 *
 * Commit window (off by default, `windowMs`): writes paced at a steady rate (senders at a fixed rate,
 * each send its own frame) arrive one per turn, and a commit of one write costs about 3.5× the CPU per
 * write of a commit of 128 (ten WAL pages instead of under two). With a window, when a turn would
 * commit only a few writes and the previous commit ended less than two windows ago, the commit waits
 * at most `windowMs` for more to join it, and goes at once when `WINDOW_FILL` have queued. Windows
 * that catch nothing (one writer waiting for its own ack before the next write) switch it off for a
 * while. A write is still acknowledged only after its transaction commits; a lone write commits when
 * its window ends. Session 10 measured 1 ms on the loaded 2-core machine: hub CPU per message 6–10%
 * lower at 1,000–2,000 msg/s, but end-to-end p50 0.5 → 1.8 ms and p99 20 → 84 ms at 1,000 msg/s (each
 * window adds a sleep and a wake-up, and a wake-up waits for a CPU), so the hub runs with it off.
 *
 * Writes apart (`runApart`: the analytics rollup slices) never share a transaction with the others:
 * each commits alone on a turn of its own, in the order queued, after at most one commit of the other
 * writes queued by then, so no acknowledgement waits on a rollup slice (a commit that carried one took
 * a median 3.9 ms, up to 34 ms, against 1.6 ms for messages alone). They touch only their own tables.
 */
import type { Database } from 'better-sqlite3';

type Outcome = { ok: boolean; value: unknown };

/**
 * Writes per transaction at most. A sent message is a write of about 30 µs of CPU and its fan-out
 * runs right after the commit, so a full slice holds the event loop an estimated 10 ms (a backlog of
 * 3,000 writes held it 180 ms). Smaller slices cost throughput: at saturation (320 sends in flight)
 * a cap of 64 cost the hub about 20% more CPU per message than no cap; 128 and 256 were within the
 * noise of no cap (same-run A/Bs, session 9).
 */
export const GROUP_COMMIT_MAX = 128;

/** The longest a commit waits for more writes to join it (ms); 0: no window (see the header). */
export const COMMIT_WINDOW_MS = 0;
/** A window closes early once this many writes are queued; a turn with this many commits at once. */
export const WINDOW_FILL = 16;
/**
 * After this many windows in a row caught no write (one writer waiting for each ack), the next this
 * many commits open none: such a writer pays the window on about 3% of its writes.
 */
const WINDOW_MISSES = 2;
const WINDOW_REST_COMMITS = 64;

interface Pending {
  fn: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

export class WriteBatcher {
  private queue: Pending[] = [];
  /** Transaction wrappers built once: creating them per write was a measurable share of send cost. */
  private readonly inSavepoint: (fn: () => unknown) => unknown;
  private readonly inTransaction: (batch: Pending[], outcomes: Outcome[]) => void;
  private readonly optimistic: (batch: Pending[], outcomes: Outcome[]) => void;
  private scheduled = false;
  private closed = false;
  /** The open commit window's timer, and how many writes were queued when it opened. */
  private windowTimer: NodeJS.Timeout | undefined;
  private windowOpenedWith = 0;
  private lastCommitAt = -Infinity;
  private missesInARow = 0;
  /** Commits left before a window may open again. */
  private windowRest = 0;
  /** Writes apart, queued; whether their turn is scheduled; whether the head write let others go first. */
  private apart: Pending[] = [];
  private apartScheduled = false;
  private apartDeferred = false;
  /** Batches committed, and writes in them; windows opened and those that caught no write; writes apart. */
  readonly stats = { batches: 0, writes: 0, windows: 0, windowMisses: 0, apart: 0 };

  constructor(
    private readonly db: Database,
    private readonly afterCommit?: () => void,
    private readonly maxWrites = GROUP_COMMIT_MAX,
    private readonly windowMs = COMMIT_WINDOW_MS,
  ) {
    this.inSavepoint = db.transaction((fn: () => unknown) => fn());
    // Most batches have no failing write: run them without savepoints, and only when one throws,
    // roll the whole batch back and replay it with a savepoint per write (writes touch only the database).
    this.optimistic = db.transaction((batch: Pending[], outcomes: Array<{ ok: boolean; value: unknown }>) => {
      for (const item of batch) outcomes.push({ ok: true, value: item.fn() });
    });
    this.inTransaction = db.transaction(
      (batch: Pending[], outcomes: Array<{ ok: boolean; value: unknown }>) => {
        for (const item of batch) {
          try {
            outcomes.push({ ok: true, value: this.inSavepoint(item.fn) });
          } catch (err) {
            outcomes.push({ ok: false, value: err });
          }
        }
      },
    );
  }

  run<T>(fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.onTurn);
      } else if (this.windowTimer !== undefined && this.queue.length >= WINDOW_FILL) {
        clearTimeout(this.windowTimer);
        this.windowTimer = undefined;
        setImmediate(this.endWindow);
      }
    });
  }

  /**
   * A write committed in a transaction of its own, never with the writes `run` queues, in the order
   * `runApart` was called; it settles after its commit. For writes to tables no `run` write touches.
   */
  runApart<T>(fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.apart.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.apartScheduled) {
        this.apartScheduled = true;
        setImmediate(this.onApartTurn);
      }
    });
  }

  /** Commits the oldest write apart, unless other writes are queued and it has not yet let them go first. */
  private readonly onApartTurn = (): void => {
    this.apartScheduled = false;
    if (this.closed || this.apart.length === 0) return;
    if (this.scheduled && !this.apartDeferred) {
      this.apartDeferred = true; // flush() schedules the next turn apart after its commit
      return;
    }
    this.apartDeferred = false;
    this.commitApart();
    if (this.apart.length > 0 && !this.apartScheduled) {
      this.apartScheduled = true;
      setImmediate(this.onApartTurn);
    }
  };

  private commitApart(): void {
    const item = this.apart.shift()!;
    let value: unknown;
    try {
      value = this.inSavepoint(item.fn);
    } catch (err) {
      item.reject(err);
      return;
    }
    this.stats.apart++;
    item.resolve(value);
    this.afterCommit?.();
  }

  /** The turn after a write was queued: commit now, or open a window for more writes to join. */
  private readonly onTurn = (): void => {
    if (this.closed) return;
    const n = this.queue.length;
    // Steady writes: the previous commit ended less than two windows ago.
    if (this.windowMs > 0 && n > 0 && n < WINDOW_FILL && this.windowRest === 0) {
      if (performance.now() - this.lastCommitAt < 2 * this.windowMs) {
        this.stats.windows++;
        this.windowOpenedWith = n;
        this.windowTimer = setTimeout(this.endWindow, this.windowMs);
        return; // still scheduled: writes queued meanwhile wait for this window
      }
    }
    this.flush();
  };

  private readonly endWindow = (): void => {
    this.windowTimer = undefined;
    if (this.closed) return;
    if (this.queue.length > this.windowOpenedWith) this.missesInARow = 0;
    else {
      this.stats.windowMisses++;
      if (++this.missesInARow >= WINDOW_MISSES) {
        this.missesInARow = 0;
        this.windowRest = WINDOW_REST_COMMITS;
      }
    }
    this.flush();
  };

  /** Commits the oldest `maxWrites` queued writes; schedules the next turn if more are queued. */
  flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    let batch: Pending[];
    if (this.queue.length <= this.maxWrites) {
      batch = this.queue;
      this.queue = [];
    } else {
      batch = this.queue.slice(0, this.maxWrites);
      this.queue = this.queue.slice(this.maxWrites);
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    const outcomes: Array<{ ok: boolean; value: unknown }> = [];
    try {
      try {
        this.optimistic(batch, outcomes);
      } catch {
        outcomes.length = 0;
        this.inTransaction(batch, outcomes);
      }
    } catch (err) {
      for (const item of batch) item.reject(err);
      this.apartAfterFlush();
      return;
    }
    this.lastCommitAt = performance.now();
    if (this.windowRest > 0) this.windowRest--;
    this.stats.batches++;
    this.stats.writes += batch.length;
    batch.forEach((item, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.value);
    });
    this.afterCommit?.();
    this.apartAfterFlush();
  }

  /** A write apart that let this flush go first gets the next turn. */
  private apartAfterFlush(): void {
    if (this.apartDeferred && !this.apartScheduled) {
      this.apartScheduled = true;
      setImmediate(this.onApartTurn);
    }
  }

  close(): void {
    if (this.windowTimer !== undefined) clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
    while (this.queue.length > 0) this.flush();
    while (this.apart.length > 0) this.commitApart();
    this.closed = true;
  }
}
