/**
 * Writing one Server-Sent Events response with a bound on what waits in memory. A client that does
 * not read keeps every written byte in the hub; once more than `maxBufferedBytes` (the setting
 * `streams.maxBufferedBytes`, shared with the WebSocket) wait to be sent, the stream ends with an
 * `error` event saying why (delivered if the client still reads) and the client resumes from its
 * last event id.
 */
import type { ServerResponse } from 'node:http';
import { HubError } from '../../core/errors.js';

/** After the closing event, a client that does not read it within this is cut off. */
const CLOSE_GRACE_MS = 5_000;

export class SseWriter {
  private ended = false;
  private gone = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly maxBufferedBytes: number,
    /** Called once when the stream is ended for being too slow. */
    private readonly onTooSlow: () => void,
  ) {
    res.once('close', () => {
      this.gone = true;
    });
  }

  /** Still writing (not ended for being too slow, the client still there). */
  get open(): boolean {
    return !this.ended && !this.gone && !this.res.destroyed;
  }

  /** Bytes written but not yet handed to the kernel. */
  get buffered(): number {
    return this.res.writableLength;
  }

  event(type: string, data: string, id?: string): boolean {
    return this.write(`${id ? `id: ${id}\n` : ''}event: ${type}\ndata: ${data}\n\n`);
  }

  comment(text: string): boolean {
    return this.write(`: ${text}\n\n`);
  }

  /** Writes one frame, or ends the stream (once) when too much is waiting already. */
  write(frame: string): boolean {
    if (!this.open) return false;
    if (this.res.writableLength > this.maxBufferedBytes) {
      this.tooSlow(this.res.writableLength);
      return false;
    }
    this.res.write(frame);
    return true;
  }

  /**
   * Resolves once what waits is back under the limit (or the stream ended); a backlog is written
   * page by page at the client's pace.
   */
  async drained(): Promise<void> {
    if (!this.open || this.res.writableLength <= this.maxBufferedBytes) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }

  /** Ends the stream because `pending` more bytes than it may hold were waiting (held events included). */
  tooSlow(pending: number): void {
    if (!this.open) return;
    this.ended = true;
    this.onTooSlow();
    const err = new HubError(
      'unavailable',
      `Too slow to keep up: ${pending} bytes of events were waiting for this stream, more than ` +
        `streams.maxBufferedBytes (${this.maxBufferedBytes}); reconnect with Last-Event-ID (or ?since=<last id>) to resume`,
      { details: { limit: this.maxBufferedBytes, setting: 'streams.maxBufferedBytes' } },
    );
    // The connection goes with the stream (no keep-alive): once the last event is out, or the grace is
    // over. The socket is held here: a finished response lets go of it.
    const socket = this.res.socket;
    const cut = () => socket?.destroy();
    this.res.end(`event: error\ndata: ${JSON.stringify(err.toJSON())}\n\n`, cut);
    const cutOff = setTimeout(cut, CLOSE_GRACE_MS);
    cutOff.unref();
    socket?.once('close', () => clearTimeout(cutOff));
  }
}
