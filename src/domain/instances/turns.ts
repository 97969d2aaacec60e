/** User turns waiting for their result event, answered in the order they were sent. */
import type { TurnResult } from '../../agents/adapters/events.js';

export interface TurnOutcome {
  turn: number;
  status: 'completed' | 'failed';
  /** Why it failed, in words. */
  failure: string | null;
  text: string | null;
  result: TurnResult | null;
}

export class TurnQueue {
  /** `first`: the number of the next turn (a resumed instance counts on). */
  constructor(private next = 1) {}
  private readonly pending: Array<{
    turn: number;
    resolve: (o: TurnOutcome) => void;
    done: Promise<TurnOutcome>;
  }> = [];
  /** Text seen since the oldest pending turn began (for CLIs without result text). */
  private text: string[] = [];
  readonly outcomes = new Map<number, TurnOutcome>();

  get busy(): boolean {
    return this.pending.length > 0;
  }

  /** Turns sent and not answered yet. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** A new turn; `done` settles when its result (or the process's end) arrives. */
  open(): { turn: number; done: Promise<TurnOutcome> } {
    let resolve!: (o: TurnOutcome) => void;
    const done = new Promise<TurnOutcome>((r) => (resolve = r));
    const turn = this.next++;
    this.pending.push({ turn, resolve, done });
    return { turn, done };
  }

  /** The number of the turn running now (the oldest pending), if any. */
  get current(): number | undefined {
    return this.pending[0]?.turn;
  }

  /** Settles once no turn is pending (turns sent meanwhile are waited for too). */
  async idle(): Promise<void> {
    while (this.pending.length) await this.pending[this.pending.length - 1]!.done;
  }

  addText(t: string): void {
    this.text.push(t);
  }

  /** The oldest pending turn ends with this result; undefined when none was pending. */
  resolveOldest(result: TurnResult | null, failure: string | null): TurnOutcome | undefined {
    const p = this.pending.shift();
    const text = result?.text ?? (this.text.length ? this.text.join('\n') : null);
    this.text = [];
    if (!p) return undefined;
    const outcome: TurnOutcome = {
      turn: p.turn,
      status: failure === null ? 'completed' : 'failed',
      failure,
      text,
      result,
    };
    this.outcomes.set(p.turn, outcome);
    if (this.outcomes.size > 100) this.outcomes.delete(this.outcomes.keys().next().value!);
    p.resolve(outcome);
    return outcome;
  }

  /** Every pending turn fails with this reason (the process ended). */
  failAll(reason: string): void {
    while (this.pending.length) this.resolveOldest(null, reason);
  }

  /** Every pending turn ends by the process exit (CLIs without result events). */
  settleByExit(failure: string | null): void {
    if (this.pending.length) this.resolveOldest(null, failure);
    this.failAll(failure ?? 'the process ended before this turn ran');
  }
}
