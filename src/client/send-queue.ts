/**
 * Sends over the WebSocket, batched: the sends issued in one tick leave together as one
 * `send_batch` frame (a single send as a plain `send` frame), split so that no frame carries more
 * than `MAX_MESSAGES` messages or about `MAX_FRAME_BYTES` of JSON. Each send's promise settles with
 * its own slot of the answer: its result once committed, or its own error.
 */
import type { BatchSlot, ClientFrame } from '../bus/frames.js';
import { SwitchboardError } from './errors.js';
import type { SendInput, SendResult } from './types.js';

/** At most this many messages per frame (the hub takes up to 500). */
export const MAX_MESSAGES = 200;
/** A frame is closed once its messages' JSON passes this (the hub's default frame limit is 1 MiB). */
export const MAX_FRAME_BYTES = 512 * 1024;

interface Queued {
  /** The send's fields as a frame carries them (`message_type` for its own type). */
  fields: Record<string, unknown>;
  json: string;
  resolve(result: SendResult): void;
  reject(err: unknown): void;
}

export class SendQueue {
  private queue: Queued[] = [];

  constructor(
    /** Sends a frame and resolves with its `result` (rejects with its `error`). */
    private readonly request: (frame: ClientFrame) => Promise<unknown>,
    /** A hub error body as the client's error. */
    private readonly toError: (error: unknown) => SwitchboardError,
  ) {}

  send(input: SendInput): Promise<SendResult> {
    const { type, ...rest } = input;
    const fields: Record<string, unknown> = type === undefined ? rest : { ...rest, message_type: type };
    return new Promise<SendResult>((resolve, reject) => {
      this.queue.push({ fields, json: JSON.stringify(fields), resolve, reject });
      if (this.queue.length === 1) queueMicrotask(() => this.flush());
    });
  }

  private flush(): void {
    const queued = this.queue;
    this.queue = [];
    let start = 0;
    while (start < queued.length) {
      let end = start;
      let bytes = 0;
      while (end < queued.length && end - start < MAX_MESSAGES) {
        bytes += queued[end].json.length + 1;
        if (end > start && bytes > MAX_FRAME_BYTES) break;
        end++;
      }
      this.dispatch(queued.slice(start, end));
      start = end;
    }
  }

  private dispatch(items: Queued[]): void {
    if (items.length === 1) {
      const [one] = items;
      this.request({ type: 'send', ...one.fields } as ClientFrame).then(
        (result) => one.resolve(result as SendResult),
        one.reject,
      );
      return;
    }
    this.request({ type: 'send_batch', messages: items.map((i) => i.fields) }).then(
      (answer) => {
        const results = (answer as { results?: BatchSlot[] } | undefined)?.results;
        items.forEach((item, i) => {
          const slot = results?.[i];
          if (!slot) {
            item.reject(
              new SwitchboardError('internal', 'The hub answered a send_batch frame without this send'),
            );
          } else if (slot.success) item.resolve(slot as unknown as SendResult);
          else item.reject(this.toError(slot.error));
        });
      },
      (err: unknown) => {
        for (const item of items) item.reject(err);
      },
    );
  }
}
