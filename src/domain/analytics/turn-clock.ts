/**
 * Times an instance's turns from its output events: a `user` event opens a turn, the next `result`
 * ends the oldest open one (its time is user → result). A turn that ends without a result (an `exit`
 * with no result since the last exit: the per-turn process died) is dropped, not timed; a `restart`
 * or the instance's end drops every open turn. Pure: times come in as epoch milliseconds.
 */
/** The instance output events that open, end or drop turns: the only ones the clock reads. */
export const TURN_EVENT_KINDS: readonly string[] = ['user', 'result', 'exit', 'restart'];

export class TurnClock {
  private readonly open = new Map<string, { starts: number[]; sawResult: boolean }>();

  /** One output event; returns the duration in ms of the turn a `result` ended, if any. */
  event(instanceId: string, kind: string, atMs: number): number | undefined {
    let s = this.open.get(instanceId);
    if (kind === 'user') {
      if (!s) this.open.set(instanceId, (s = { starts: [], sawResult: false }));
      s.starts.push(atMs);
      return undefined;
    }
    if (!s) return undefined;
    if (kind === 'result') {
      s.sawResult = true;
      const start = s.starts.shift();
      return start === undefined ? undefined : Math.max(0, atMs - start);
    }
    if (kind === 'exit') {
      if (!s.sawResult) s.starts.shift();
      s.sawResult = false;
    } else if (kind === 'restart') s.starts = [];
    if (s.starts.length === 0 && !s.sawResult) this.open.delete(instanceId);
    return undefined;
  }

  /** The instance ended: nothing of it is open any more. */
  ended(instanceId: string): void {
    this.open.delete(instanceId);
  }

  /** Instances with a turn open (bounded by the caller). */
  get size(): number {
    return this.open.size;
  }
}
