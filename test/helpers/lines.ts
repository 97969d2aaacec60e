/** The lines of a child's output, kept; `next(pred)` resolves with the first past or future line that matches. */
export class Lines<T> {
  readonly all: T[] = [];
  private waiters: Array<{ pred: (l: T) => boolean; resolve: (l: T) => void }> = [];

  constructor(private readonly waitMs = 15_000) {}

  push(line: T): void {
    this.all.push(line);
    this.waiters = this.waiters.filter((w) => (w.pred(line) ? (w.resolve(line), false) : true));
  }

  next(pred: (l: T) => boolean, what: string): Promise<T> {
    const seen = this.all.find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), this.waitMs);
      this.waiters.push({ pred, resolve: (l) => (clearTimeout(timer), resolve(l)) });
    });
  }
}
