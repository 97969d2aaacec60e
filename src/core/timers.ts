/**
 * The hub's periodic work, in one place: every sweep, flush and check is registered here by name
 * and interval, runs one at a time (a tick that comes while the last run is still going is skipped),
 * never keeps the process alive, reports its failures with its name, and stops with the hub. Cluster
 * mode decides here which node does which work.
 */
export type JobErrorHandler = (job: string, err: unknown) => void;

export class Timers {
  private readonly jobs = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly onError: JobErrorHandler) {}

  /** Runs `fn` every `ms` milliseconds until `stop(name)` or `stopAll()`; a name is registered once. */
  every(name: string, ms: number, fn: () => unknown): void {
    if (this.stopped) return;
    if (this.jobs.has(name)) throw new Error(`periodic job "${name}" is registered already`);
    let running = false;
    const tick = () => {
      if (running) return;
      running = true;
      Promise.resolve()
        .then(fn)
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

  stopAll(): void {
    this.stopped = true;
    for (const name of [...this.jobs.keys()]) this.stop(name);
  }

  /** The registered jobs (for status and tests). */
  names(): string[] {
    return [...this.jobs.keys()];
  }
}
