/** Marks handled messages read in batches, so an agent that restarts resumes at what it has not handled. */
export class ReadMarks {
  private ids: string[] = [];
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly markRead: (ids: string[]) => Promise<unknown>,
    private readonly onError: (err: unknown) => void,
    private readonly delayMs = 50,
  ) {}

  add(id: string): void {
    this.ids.push(id);
    if (this.ids.length >= 500) void this.flush();
    else if (!this.timer) this.timer = setTimeout(() => void this.flush(), this.delayMs);
  }

  /** Sends what is queued; resolves when everything queued so far is marked. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing = this.flushing.then(async () => {
      while (this.ids.length > 0) {
        const batch = this.ids.splice(0, 1000);
        try {
          await this.markRead(batch);
        } catch (err) {
          // The node failed (with several URLs the client has moved to the next one): send the batch
          // once more. Unlike most requests this is safe to repeat blindly: marking read twice is
          // marking read once.
          if ((err as { code?: unknown })?.code !== 'unavailable') this.onError(err);
          else await this.markRead(batch).catch(this.onError);
        }
      }
    });
    return this.flushing;
  }
}
