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
  /** Writes apart, queued; whether their turn is scheduled; whether the head write let others go first. */
  private apart: Pending[] = [];
  private apartScheduled = false;
  private apartDeferred = false;
  /** Batches committed, and writes in them; writes apart: for metrics and benchmarks. */
  readonly stats = { batches: 0, writes: 0, apart: 0 };

  constructor(
    private readonly db: Database,
    private readonly afterCommit?: () => void,
    private readonly maxWrites = GROUP_COMMIT_MAX,
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
        setImmediate(() => this.flush());
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
    while (this.queue.length > 0) this.flush();
    while (this.apart.length > 0) this.commitApart();
    this.closed = true;
  }
}
