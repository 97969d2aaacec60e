/**
 * Writing frames to one WebSocket with a bound on what waits in memory: frames written in one tick
 * leave in one TCP write (corked until the next tick), and a socket with more than
 * `streams.maxBufferedBytes` unsent is too slow: closed (1013), it resumes by cursor.
 */
import type { WebSocket } from 'ws';
import type { ServerFrame } from '../../bus/frames.js';
import type { HubError } from '../../core/errors.js';

export class WsWriter {
  private corked = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly maxBufferedBytes: number,
    /** Called each time the socket is closed for being too slow. */
    private readonly onTooSlow: () => void,
  ) {}

  frame(frame: ServerFrame): void {
    this.text(JSON.stringify(frame));
  }

  /** A frame already serialized (a message frame is serialized once for all of its sockets). */
  text(text: string): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    if (this.socket.bufferedAmount > this.maxBufferedBytes) {
      this.onTooSlow();
      this.socket.close(
        1013,
        'Too slow to keep up (streams.maxBufferedBytes); reconnect with ?since=<last cursor>',
      );
      return;
    }
    const tcp = (this.socket as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    if (tcp && !this.corked) {
      this.corked = true;
      tcp.cork();
      process.nextTick(() => {
        this.corked = false;
        tcp.uncork();
      });
    }
    this.socket.send(text);
  }

  /** Closes with the error's reason: 1011 when the hub failed, 1008 for a refusal of the client's own. */
  close(err: HubError): void {
    const serverSide = err.code === 'internal' || err.code === 'unavailable' || err.code === 'timeout';
    this.socket.close(serverSide ? 1011 : 1008, closeReason(err.message));
  }
}

/** A close reason is at most 123 bytes of UTF-8 (ws throws on a longer one); messages may quote ids. */
function closeReason(message: string): string {
  let reason = message.slice(0, 120);
  while (Buffer.byteLength(reason) > 123) reason = reason.slice(0, -1);
  return reason;
}
