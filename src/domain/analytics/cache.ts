/** Answers of analytics queries kept for a TTL, keyed by the query (its caller's scope included). */

const MAX_ENTRIES = 1000;

export class AnswerCache<T> {
  private readonly entries = new Map<string, { at: number; value: T }>();
  readonly stats = { hits: 0, misses: 0 };

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly observe?: (hit: boolean) => void,
  ) {}

  /** The cached answer and its age, or a fresh one from `compute` (age 0). */
  async get(key: string, compute: () => Promise<T>): Promise<{ value: T; cached: boolean; ageMs: number }> {
    const now = this.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.ttlMs) {
      this.stats.hits++;
      this.observe?.(true);
      return { value: hit.value, cached: true, ageMs: now - hit.at };
    }
    this.stats.misses++;
    this.observe?.(false);
    const value = await compute();
    this.entries.delete(key);
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    if (this.ttlMs > 0) this.entries.set(key, { at: now, value });
    return { value, cached: false, ageMs: 0 };
  }

  clear(): void {
    this.entries.clear();
  }
}
