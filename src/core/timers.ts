/**
 * The hub's periodic work, in one place: every sweep, flush and check is registered here by name
 * and interval, runs one at a time (a tick that comes while the last run is still going is skipped),
 * never keeps the process alive, reports its failures with its name, and stops with the hub. Cluster
 * mode decides here which node does which work.
 */
export type JobErrorHandler = (job: string, err: unknown) => void;

/**
 * Runs a job unless another node of the cluster is running the same job right now (then it resolves
 * without running it). One node alone always runs it.
 */
export type RunAlone = (job: string, fn: () => Promise<unknown>) => Promise<unknown>;

export interface JobOptions {
  /**
   * Cluster-wide work (sweeps of shared state): at most one node runs it at a time, so its effect —
   * an expiry, a retirement, the event that says so — happens once, not once per node. A node that
   * finds it running elsewhere skips the tick; the next run finds nothing left to do.
   */
  oneNodeAtATime?: boolean;
}

export class Timers {
  private readonly jobs = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly onError: JobErrorHandler,
    private readonly runAlone: RunAlone = (_job, fn) => fn(),
  ) {}

  /** Runs `fn` every `ms` milliseconds until `stop(name)` or `stopAll()`; a name is registered once. */
  every(name: string, ms: number, fn: () => unknown, opts: JobOptions = {}): void {
    if (this.stopped) return;
    if (this.jobs.has(name)) throw new Error(`periodic job "${name}" is registered already`);
    let running = false;
    const tick = () => {
      if (running) return;
      running = true;
      Promise.resolve()
        .then(() => (opts.oneNodeAtATime ? this.runAlone(name, async () => fn()) : fn()))
        .catch((err) => this.onError(name, err))
        .finally(() => (running = false));
    };
    const timer = setInterval(tick, ms);
    timer.unref();
    this.jobs.set(name, timer);
  }

  stop(name: string): void {
    clearInterval(this.jobs.get(name));
    this.jobs.delete(name);
  }

  /** Stops every job but those in `keep` (they run until `stop(name)`); no job starts after this. */
  stopAll(keep: string[] = []): void {
    this.stopped = true;
    for (const name of [...this.jobs.keys()]) if (!keep.includes(name)) this.stop(name);
  }

  /** The registered jobs (for status and tests). */
  names(): string[] {
    return [...this.jobs.keys()];
  }
}
