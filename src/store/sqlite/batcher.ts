/**
 * Group commit. Writes queue up and are applied together in one transaction on the next turn of
 * the event loop; each write runs inside its own savepoint, so one failing write rolls back alone.
 * A write's promise settles only after its transaction has committed.
 */
import type { Database } from 'better-sqlite3';

type Outcome = { ok: boolean; value: unknown };

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
  /** Batches committed, and writes in them: for metrics and benchmarks. */
  readonly stats = { batches: 0, writes: 0 };

  constructor(
    private readonly db: Database,
    private readonly afterCommit?: () => void,
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

  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
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
  }

  close(): void {
    this.flush();
    this.closed = true;
  }
}
