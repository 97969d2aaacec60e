/**
 * A tiny Chrome DevTools Protocol client for a hub started with `--inspect=127.0.0.1:0` (loopback
 * only): forces a full garbage collection and reads `process.memoryUsage()` inside the hub, so memory
 * figures do not depend on when V8 last collected.
 */
import WebSocket from 'ws';

export class Inspector {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString('utf8')) as {
        id?: number;
        result?: unknown;
        error?: { message: string };
      };
      if (msg.id === undefined) return;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(msg.error.message));
      else p.resolve(msg.result);
    });
    ws.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('inspector connection closed'));
      this.pending.clear();
    });
  }

  static connect(url: string, timeoutMs = 5000): Promise<Inspector> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error('inspector did not answer'));
      }, timeoutMs);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve(new Inspector(ws));
      });
      ws.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  call<T = any>(method: string, params: Record<string, unknown> = {}, timeoutMs = 30000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`inspector ${method} timed out`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  async collectGarbage(): Promise<void> {
    await this.call('HeapProfiler.collectGarbage');
  }

  /** `process.memoryUsage()` evaluated inside the hub. */
  async memoryUsage(): Promise<NodeJS.MemoryUsage> {
    const r = await this.call<{ result: { value?: string } }>('Runtime.evaluate', {
      expression: 'JSON.stringify(process.memoryUsage())',
      returnByValue: true,
    });
    if (typeof r.result.value !== 'string') throw new Error('Runtime.evaluate returned no value');
    return JSON.parse(r.result.value) as NodeJS.MemoryUsage;
  }

  close(): void {
    this.ws.terminate();
  }
}
