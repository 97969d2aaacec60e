/**
 * The client transport for one downstream server. stdio: one child process per connection; the
 * subclass makes the SDK negotiate the protocol era on that same process instead of spawning a
 * disposable probe sibling, so a server is never run twice, and writes the messages of one turn of
 * the event loop to the child's stdin together. HTTP: Streamable HTTP with headers.
 */
import type { ChildProcess } from 'node:child_process';
import {
  type JSONRPCMessage,
  SdkError,
  SdkErrorCode,
  serializeMessage,
  StreamableHTTPClientTransport,
  type Transport,
} from '@modelcontextprotocol/client';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { ServerSpec } from '../../config/gateway.js';
import type { Logger } from '../../core/logger.js';
import { maskSecrets, type Resolved } from './secrets.js';

/**
 * Negotiates in place (subclasses of the SDK's stdio transport probe on their own process). Sends
 * are coalesced: the messages sent during one turn of the event loop (calls of many callers in
 * flight, their cancellations) go to the child's stdin in one write, in order, at the end of that
 * turn (setImmediate), instead of one write system call, and one wake-up of the server, per message.
 * Each send resolves as the SDK's does: once its bytes are written, or after the pipe drained.
 */
export class SupervisedStdioTransport extends StdioClientTransport {
  private queued: string[] = [];
  private waiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  private flushing: NodeJS.Immediate | undefined;

  /** The SDK keeps the child in a private field; it is undefined before start and after close. */
  private stdin(): ChildProcess['stdin'] | undefined {
    return (this as unknown as { _process?: ChildProcess })._process?.stdin ?? undefined;
  }

  override send(message: JSONRPCMessage): Promise<void> {
    if (!this.stdin()) return super.send(message); // refused by the SDK: not connected
    return new Promise((resolve, reject) => {
      this.queued.push(serializeMessage(message));
      this.waiters.push({ resolve, reject });
      this.flushing ??= setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    if (this.flushing) clearImmediate(this.flushing);
    this.flushing = undefined;
    if (this.queued.length === 0) return;
    const data = this.queued.length === 1 ? this.queued[0] : this.queued.join('');
    const waiters = this.waiters;
    this.queued = [];
    this.waiters = [];
    const stdin = this.stdin();
    if (!stdin) {
      const err = new SdkError(SdkErrorCode.NotConnected, 'Not connected');
      for (const w of waiters) w.reject(err);
      return;
    }
    const done = () => {
      for (const w of waiters) w.resolve();
    };
    if (stdin.write(data)) done();
    else stdin.once('drain', done);
  }

  /** What was sent before close is written before stdin ends. */
  override async close(): Promise<void> {
    this.flush();
    return super.close();
  }
}

/** The HTTP header that carries a call's correlation id downstream (besides `_meta`). */
export const CORRELATION_HEADER = 'x-correlation-id';
/** The key of the correlation id in a downstream call's `_meta`. */
export const CORRELATION_META_KEY = 'io.switchboard/correlation-id';

/** Copies the correlation id of a JSON-RPC request's `_meta` into a header of the HTTP request. */
const withCorrelationHeader: typeof fetch = (input, init) => {
  if (typeof init?.body === 'string' && init.body.includes(CORRELATION_META_KEY)) {
    try {
      const msg = JSON.parse(init.body) as { params?: { _meta?: Record<string, unknown> } };
      const id = msg.params?._meta?.[CORRELATION_META_KEY];
      if (typeof id === 'string') {
        const headers = new Headers(init.headers);
        headers.set(CORRELATION_HEADER, id);
        return fetch(input, { ...init, headers });
      }
    } catch {
      /* not one JSON-RPC request: sent as it is */
    }
  }
  return fetch(input, init);
};

/**
 * `env` and `headers` are the resolved values (secret references already read); `spec` keeps the
 * references only.
 */
export function createTransport(
  spec: ServerSpec,
  logger: Logger,
  resolved: Resolved = { env: spec.env, headers: spec.headers, secrets: [] },
): Transport {
  const { env, headers, secrets } = resolved;
  if (spec.url) {
    return new StreamableHTTPClientTransport(new URL(spec.url), {
      requestInit: { headers: { ...headers } },
      fetch: withCorrelationHeader,
    });
  }
  const transport = new SupervisedStdioTransport({
    command: spec.command as string,
    args: spec.args,
    env: { ...getDefaultEnvironment(), ...env },
    ...(spec.cwd ? { cwd: spec.cwd } : {}),
    stderr: 'pipe',
  });
  // The child's stderr goes to the hub log (debug), never to the hub's own stderr.
  transport.stderr?.on('data', (chunk: Buffer) => {
    const text = maskSecrets(chunk.toString('utf8').trimEnd(), secrets);
    if (text) logger.debug({ server: spec.name, stderr: text.slice(0, 2000) }, 'downstream stderr');
  });
  return transport;
}
