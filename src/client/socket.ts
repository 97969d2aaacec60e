/**
 * `HubSocket`: an agent's WebSocket to `/ws/<agent_id>` that reconnects by itself (backoff) and resumes
 * from the last cursor it saw (`?since=`), so a dropped connection loses nothing and repeats nothing.
 * Calls over the socket (`call`) are matched to their `result`/`error` frames by id; sends of one tick
 * go as one `send_batch` frame (send-queue.ts).
 * With several hub URLs (a cluster), a connection attempt that fails moves to the next URL: a dropped
 * connection is tried once more on its node, then on the next one, each after a backoff delay, and
 * resumes there from the same cursor. The first connection tries every URL once before giving up.
 */
import WebSocket from 'ws';
import type { ClientFrame, MessageFrame, ServerFrame } from '../bus/frames.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { SwitchboardError } from './errors.js';
import { HubUrls } from './failover.js';
import { SendQueue } from './send-queue.js';
import type { ErrorCode, InboxMessageView, SendInput, SendResult } from './types.js';

export type { ServerFrame } from '../bus/frames.js';

export type SocketState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface HubSocketOptions {
  /** The hub URL, several (an array or a comma-separated list), or another client's `HubUrls`. */
  url: string | readonly string[] | HubUrls;
  token: string;
  agentId: string;
  /** Where the first connection starts: a cursor (replays everything after it) or nothing (live only). */
  since?: string;
  /** Each delivered message, once, in cursor order. */
  onMessage(message: InboxMessageView, cursor: string, frame: MessageFrame): void;
  /** Every other frame but `ready` (ack notices, agent events, errors, ...). */
  onFrame?(frame: ServerFrame): void;
  onState?(state: SocketState, detail?: SwitchboardError): void;
  /** A problem that did not stop the socket, or (with state `closed`) the one that did. */
  onError?(err: SwitchboardError): void;
  reconnect?: BackoffOptions;
}

/** The `details` of a request refused before anything was written: it may be tried elsewhere. */
export const NOT_SENT = Object.freeze({ sent: false });

/** Errors after which reconnecting cannot help. */
const PERMANENT: ReadonlySet<ErrorCode> = new Set([
  'unauthorized',
  'forbidden',
  'not_found',
  'invalid_input',
]);

interface Pending {
  resolve(value: unknown): void;
  reject(err: SwitchboardError): void;
}

export class HubSocket {
  private ws?: WebSocket;
  private lastCursor?: number;
  private readonly backoff: Backoff;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private everReady = false;
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private state: SocketState = 'connecting';
  private first?: { resolve(): void; reject(err: SwitchboardError): void };
  /** Failed first-connection attempts (each on the next URL). */
  private firstFailures = 0;
  private readonly urls: HubUrls;
  private readonly sends = new SendQueue((frame) => this.request(frame), toError);

  constructor(private readonly opts: HubSocketOptions) {
    this.urls = opts.url instanceof HubUrls ? opts.url : new HubUrls(opts.url);
    this.backoff = new Backoff(opts.reconnect);
    if (opts.since !== undefined && /^\d+$/.test(opts.since)) this.lastCursor = Number(opts.since);
  }

  /** The cursor of the last message seen: pass it as `since` to resume elsewhere. */
  get cursor(): string | undefined {
    return this.lastCursor === undefined ? undefined : String(this.lastCursor);
  }

  /** The URL of the node connected to (or being tried). */
  get url(): string {
    return this.urls.current;
  }

  get connected(): boolean {
    return this.state === 'open';
  }

  /** Connects; resolves once the hub says `ready`, rejects if the first connection fails. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.first = { resolve, reject };
      this.connect();
    });
  }

  /**
   * Sends a message over the socket: the sends of one tick leave as one `send_batch` frame and each
   * resolves with its own result once committed (or rejects with its own error).
   */
  sendMessage(input: SendInput): Promise<SendResult> {
    return this.sends.send(input);
  }

  /** Runs an operation over the socket (as this agent). */
  call(op: string, input: unknown): Promise<unknown> {
    return this.request({ type: 'call', op, input });
  }

  /** Sends a frame that the hub answers with `result` or `error` (its `id` is set here, to match the answer). */
  request(frame: ClientFrame): Promise<unknown> {
    const ws = this.ws;
    if (!ws || this.state !== 'open') {
      return Promise.reject(
        new SwitchboardError('unavailable', 'The WebSocket to the hub is not connected', {
          details: NOT_SENT,
        }),
      );
    }
    const id = `c${this.nextId++}`;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ ...frame, id }));
    });
  }

  /** Closes for good: no reconnect. */
  close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = undefined;
    this.setState('closed');
    this.failPending(new SwitchboardError('unavailable', 'The connection was closed'));
    this.first?.reject(new SwitchboardError('unavailable', 'The connection was closed before it was ready'));
    this.first = undefined;
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      ws.once('close', () => resolve());
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000, 'client closing');
      setTimeout(() => {
        ws.terminate();
        resolve();
      }, 2000).unref();
    });
  }

  private connect(): void {
    if (this.stopped) return;
    const url = this.urls.current;
    const base = url.replace(/^http/, 'ws');
    const since = this.lastCursor !== undefined ? String(this.lastCursor) : this.opts.since;
    const query = since !== undefined ? `?since=${encodeURIComponent(since)}` : '';
    const ws = new WebSocket(`${base}/ws/${encodeURIComponent(this.opts.agentId)}${query}`, {
      headers: { authorization: `Bearer ${this.opts.token}` },
      handshakeTimeout: 10_000,
    });
    this.ws = ws;
    let refusal: SwitchboardError | undefined;
    let ready = false;

    ws.on('message', (data) => {
      let frame: ServerFrame;
      try {
        frame = JSON.parse(String(data));
      } catch {
        return;
      }
      if (frame.type === 'ready') {
        ready = true;
        if (this.lastCursor === undefined && typeof frame.cursor === 'string')
          this.lastCursor = Number(frame.cursor);
        this.everReady = true;
        this.backoff.reset();
        this.setState('open');
        this.first?.resolve();
        this.first = undefined;
        return;
      }
      if (!ready && frame.type === 'error' && frame.id === undefined) refusal = toError(frame.error);
      this.onFrame(frame);
    });
    ws.on('error', (err) => {
      if (!refusal) refusal = unreachableSocket(url, err);
    });
    ws.on('unexpected-response', (_req, res) => {
      refusal = new SwitchboardError(
        res.statusCode === 401 ? 'unauthorized' : res.statusCode === 404 ? 'not_found' : 'unavailable',
        `The hub refused the WebSocket upgrade (HTTP ${res.statusCode})`,
        { status: res.statusCode ?? 0 },
      );
      ws.terminate();
    });
    ws.on('close', (code, reason) => {
      if (this.ws === ws) this.ws = undefined;
      this.failPending(
        new SwitchboardError('unavailable', 'The connection to the hub dropped; the call may not have run'),
      );
      if (this.stopped) return;
      const err =
        refusal ??
        new SwitchboardError(
          'unavailable',
          `The connection to the hub closed (${code}${reason.length ? ` ${reason}` : ''})`,
        );
      // This node could not be reached, or refused before `ready`: the next attempt goes to the next URL.
      if (!ready && !PERMANENT.has(err.code)) this.urls.failed(url);
      if (!this.everReady && this.first) {
        if (!PERMANENT.has(err.code) && ++this.firstFailures < this.urls.all.length) {
          this.connect();
          return;
        }
        this.first.reject(err);
        this.first = undefined;
        this.stopped = true;
        this.setState('closed', err);
        return;
      }
      if (PERMANENT.has(err.code)) {
        this.stopped = true;
        this.setState('closed', err);
        this.opts.onError?.(err);
        return;
      }
      this.setState('reconnecting', err);
      this.timer = setTimeout(() => this.connect(), this.backoff.next());
    });
  }

  private onFrame(frame: ServerFrame): void {
    if (frame.type === 'message') {
      const cursor = Number(frame.cursor);
      if (!Number.isFinite(cursor)) return;
      if (this.lastCursor !== undefined && cursor <= this.lastCursor) return;
      this.lastCursor = cursor;
      this.opts.onMessage(frame.message, String(frame.cursor), frame);
      return;
    }
    if (frame.type === 'result' || frame.type === 'error') {
      const id = typeof frame.id === 'string' ? frame.id : undefined;
      const waiting = id ? this.pending.get(id) : undefined;
      if (waiting && id) {
        this.pending.delete(id);
        if (frame.type === 'result') waiting.resolve(frame.result);
        else waiting.reject(toError(frame.error));
        return;
      }
    }
    if (frame.type === 'error' && this.everReady) this.opts.onError?.(toError(frame.error));
    this.opts.onFrame?.(frame);
  }

  private setState(state: SocketState, detail?: SwitchboardError): void {
    if (this.state === state) return;
    this.state = state;
    this.opts.onState?.(state, detail);
  }

  private failPending(err: SwitchboardError): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

export function toError(error: unknown): SwitchboardError {
  const e = (error ?? {}) as { code?: ErrorCode; message?: string; details?: unknown };
  return new SwitchboardError(e.code ?? 'internal', e.message ?? 'The hub reported an error', {
    details: e.details,
  });
}

function unreachableSocket(url: string, err: Error): SwitchboardError {
  const code = (err as NodeJS.ErrnoException).code;
  return new SwitchboardError(
    'unavailable',
    `Cannot reach the hub at ${url} (${code ?? err.message}); start one with \`switchboard serve\` or point SWITCHBOARD_URL at it`,
    { cause: err },
  );
}
