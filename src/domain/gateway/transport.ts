/**
 * The client transport for one downstream server. stdio: one child process per connection; the
 * subclass makes the SDK negotiate the protocol era on that same process instead of spawning a
 * disposable probe sibling, so a server is never run twice. HTTP: Streamable HTTP with headers.
 */
import { StreamableHTTPClientTransport, type Transport } from '@modelcontextprotocol/client';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { ServerSpec } from '../../config/gateway.js';
import type { Logger } from '../../core/logger.js';
import { maskSecrets, type Resolved } from './secrets.js';

/** Negotiates in place (subclasses of the SDK's stdio transport probe on their own process). */
export class SupervisedStdioTransport extends StdioClientTransport {}

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
