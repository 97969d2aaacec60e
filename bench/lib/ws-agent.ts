/** A minimal WebSocket agent client for the benchmark: connect, wait for `ready`, send, dispatch frames. */
import WebSocket from 'ws';
import type { Registered } from './hub.js';

export interface ServerFrame {
  type: string;
  id?: number | string;
  cursor?: string;
  message?: { message_id: string; from: string; body: unknown; created_at: string };
  result?: {
    message_id?: string;
    /** A send_batch frame's answer: one slot per message, in order. */
    results?: Array<{ success: boolean; error?: { code?: string; message?: string } }>;
  };
  error?: { code?: string; message?: string };
}

export class WsAgent {
  onMessage: (frame: ServerFrame, at: number) => void = () => {};
  onResult: (frame: ServerFrame, at: number) => void = () => {};
  onError: (frame: ServerFrame, at: number) => void = () => {};
  closed = false;
  closeReason = '';

  private constructor(
    readonly ws: WebSocket,
    readonly agent: Registered,
  ) {}

  static connect(baseUrl: string, agent: Registered, timeoutMs = 15000): Promise<WsAgent> {
    const wsUrl = `${baseUrl.replace(/^http/, 'ws')}/ws/${agent.id}?token=${encodeURIComponent(agent.token)}`;
    const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
    const conn = new WsAgent(ws, agent);
    return new Promise<WsAgent>((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`websocket for ${agent.id} not ready within ${timeoutMs} ms`));
      }, timeoutMs);
      ws.on('message', (data: Buffer) => {
        const at = performance.now();
        const frame = JSON.parse(data.toString('utf8')) as ServerFrame;
        switch (frame.type) {
          case 'message':
            conn.onMessage(frame, at);
            return;
          case 'result':
            conn.onResult(frame, at);
            return;
          case 'error':
            if (!ready) {
              clearTimeout(timer);
              reject(new Error(`websocket for ${agent.id}: ${frame.error?.code} ${frame.error?.message}`));
              return;
            }
            conn.onError(frame, at);
            return;
          case 'ready':
            ready = true;
            clearTimeout(timer);
            resolve(conn);
            return;
          default:
            return;
        }
      });
      ws.on('error', (err) => {
        conn.closeReason = err.message;
        if (!ready) {
          clearTimeout(timer);
          reject(err);
        }
      });
      ws.on('close', (code, reason) => {
        conn.closed = true;
        conn.closeReason ||= `${code} ${reason.toString()}`;
        if (!ready) {
          clearTimeout(timer);
          reject(new Error(`websocket for ${agent.id} closed before ready: ${conn.closeReason}`));
        }
      });
    });
  }

  send(frame: object): void {
    this.ws.send(JSON.stringify(frame));
  }

  /** Closes and resolves once the socket is closed (terminates after `timeoutMs`). */
  close(timeoutMs = 2000): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.ws.terminate();
        resolve();
      }, timeoutMs);
      this.ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.ws.close();
    });
  }
}

/** Connects many agents with at most `concurrency` handshakes in flight. */
export async function connectMany(
  baseUrl: string,
  agents: Registered[],
  concurrency = 32,
): Promise<WsAgent[]> {
  const out: WsAgent[] = new Array(agents.length);
  let next = 0;
  const worker = async () => {
    while (next < agents.length) {
      const i = next++;
      out[i] = await WsAgent.connect(baseUrl, agents[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, agents.length) }, worker));
  return out;
}

export async function closeAll(conns: Array<WsAgent | undefined>): Promise<void> {
  const list = conns.filter((c): c is WsAgent => c !== undefined);
  for (let i = 0; i < list.length; i += 500) await Promise.all(list.slice(i, i + 500).map((c) => c.close()));
}
