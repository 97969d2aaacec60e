/**
 * A small WebSocket test client for `/ws/:agent_id`: collects every server frame and lets a test
 * wait for the frame it expects. Timeouts only guard against hangs; nothing asserts on timing.
 */
import WebSocket from 'ws';

export type Frame = { type: string; [key: string]: any };

export interface WsConnectOptions {
  token?: string;
  since?: string;
  /** Send the token as an Authorization header instead of ?token=. */
  header?: boolean;
  /** Extra raw query string (already encoded), appended as is. */
  query?: string;
}

export function wsUrl(httpUrl: string, agentId: string, opts: WsConnectOptions = {}): string {
  const params: string[] = [];
  if (opts.token && !opts.header) params.push(`token=${encodeURIComponent(opts.token)}`);
  if (opts.since !== undefined) params.push(`since=${encodeURIComponent(opts.since)}`);
  if (opts.query) params.push(opts.query);
  return `${httpUrl.replace(/^http/, 'ws')}/ws/${encodeURIComponent(agentId)}${params.length ? `?${params.join('&')}` : ''}`;
}

export class WsClient {
  readonly frames: Frame[] = [];
  closed: { code: number; reason: string } | undefined;
  private listeners = new Set<() => void>();

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      let frame: Frame;
      try {
        frame = JSON.parse(String(data));
      } catch {
        frame = { type: '__unparseable__', raw: String(data) };
      }
      this.frames.push(frame);
      this.notify();
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
      this.notify();
    });
    socket.on('error', () => {
      /* surfaced through `closed` */
    });
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  /** Opens a socket without waiting for `ready` (for refused connections). */
  static open(httpUrl: string, agentId: string, opts: WsConnectOptions = {}): WsClient {
    const headers: Record<string, string> = {};
    if (opts.header && opts.token) headers.authorization = `Bearer ${opts.token}`;
    return new WsClient(new WebSocket(wsUrl(httpUrl, agentId, opts), { headers }));
  }

  /** Connects and resolves once the hub said `ready`. */
  static async connect(httpUrl: string, agentId: string, opts: WsConnectOptions = {}): Promise<WsClient> {
    const client = WsClient.open(httpUrl, agentId, opts);
    await client.waitFor((f) => f.type === 'ready', 15_000, 'ready');
    return client;
  }

  /** Resolves when `check` returns a value other than undefined; re-checked on every frame and on close. */
  until<T>(check: () => T | undefined, timeoutMs = 15_000, what = 'condition'): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const attempt = () => {
        let value: T | undefined;
        try {
          value = check();
        } catch (err) {
          done();
          reject(err);
          return;
        }
        if (value !== undefined) {
          done();
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `WebSocket: gave up waiting for ${what}; ${this.frames.length} frames so far, closed=${JSON.stringify(this.closed)}, last: ${JSON.stringify(this.frames.slice(-3)).slice(0, 600)}`,
          ),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(attempt);
      };
      this.listeners.add(attempt);
      attempt();
    });
  }

  /** The first frame (from index `from`) that matches. */
  waitFor(match: (f: Frame) => boolean, timeoutMs = 15_000, what = 'a frame', from = 0): Promise<Frame> {
    return this.until(
      () => {
        for (let i = from; i < this.frames.length; i++) if (match(this.frames[i])) return this.frames[i];
        if (this.closed)
          throw new Error(`WebSocket closed (${this.closed.code} ${this.closed.reason}) before ${what}`);
        return undefined;
      },
      timeoutMs,
      what,
    );
  }

  waitClosed(timeoutMs = 15_000): Promise<{ code: number; reason: string }> {
    return this.until(() => this.closed, timeoutMs, 'close');
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  sendRaw(data: string | Buffer): void {
    this.socket.send(data);
  }

  /** Sends a frame with an id and resolves with its `result` (or rejects with the `error`). */
  async call(frame: Record<string, unknown>, id: string, timeoutMs = 15_000): Promise<any> {
    const from = this.frames.length;
    this.send({ ...frame, id });
    const reply = await this.waitFor(
      (f) => (f.type === 'result' || f.type === 'error') && f.id === id,
      timeoutMs,
      `reply to ${id}`,
      from,
    );
    if (reply.type === 'error') throw Object.assign(new Error(reply.error?.message), { frame: reply });
    return reply.result;
  }

  messages(): Frame[] {
    return this.frames.filter((f) => f.type === 'message');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const closed = this.waitClosed(5_000).catch(() => undefined);
    if (this.socket.readyState === WebSocket.CONNECTING || this.socket.readyState === WebSocket.OPEN) {
      this.socket.terminate();
    }
    await closed;
  }
}
