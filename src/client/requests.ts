/** Requests waiting for their `response`: matched by correlation id (or by reply_to the request's id). */
import { SwitchboardError } from './errors.js';
import type { InboxMessageView } from './types.js';

interface Waiting {
  resolve(message: InboxMessageView): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
  messageId?: string;
}

export class PendingRequests {
  private readonly byCorrelation = new Map<string, Waiting>();
  private readonly byMessage = new Map<string, string>();

  /** Waits for the response with this correlation id; rejects with `timeout` after `timeoutMs`. */
  expect(correlationId: string, timeoutMs: number, describe: () => string): Promise<InboxMessageView> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.remove(correlationId);
        reject(new SwitchboardError('timeout', `No response ${describe()} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.byCorrelation.set(correlationId, { resolve, reject, timer });
    });
  }

  /** Records the request's message id, so a response that only names it in reply_to still matches. */
  sent(correlationId: string, messageId: string): void {
    const waiting = this.byCorrelation.get(correlationId);
    if (!waiting) return;
    waiting.messageId = messageId;
    this.byMessage.set(messageId, correlationId);
  }

  /** Settles the request this response answers; false if it answers none of ours. */
  settle(message: InboxMessageView): boolean {
    const key =
      (message.correlation_id && this.byCorrelation.has(message.correlation_id)
        ? message.correlation_id
        : undefined) ?? (message.reply_to ? this.byMessage.get(message.reply_to) : undefined);
    const waiting = key ? this.byCorrelation.get(key) : undefined;
    if (!key || !waiting) return false;
    this.remove(key);
    waiting.resolve(message);
    return true;
  }

  cancel(correlationId: string): void {
    this.remove(correlationId);
  }

  get size(): number {
    return this.byCorrelation.size;
  }

  rejectAll(err: Error): void {
    for (const [key, waiting] of [...this.byCorrelation]) {
      this.remove(key);
      waiting.reject(err);
    }
  }

  private remove(correlationId: string): void {
    const waiting = this.byCorrelation.get(correlationId);
    if (!waiting) return;
    clearTimeout(waiting.timer);
    if (waiting.messageId) this.byMessage.delete(waiting.messageId);
    this.byCorrelation.delete(correlationId);
  }
}
