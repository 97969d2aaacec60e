/**
 * The client transport for one downstream server. stdio: one child process per connection; the
 * subclass makes the SDK negotiate the protocol era on that same process instead of spawning a
 * disposable probe sibling, so a server is never run twice. HTTP: Streamable HTTP with headers.
 */
import { StreamableHTTPClientTransport, type Transport } from '@modelcontextprotocol/client';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import type { ServerSpec } from '../../config/gateway.js';
import type { Logger } from '../../core/logger.js';

/** Negotiates in place (subclasses of the SDK's stdio transport probe on their own process). */
export class SupervisedStdioTransport extends StdioClientTransport {}

export function createTransport(spec: ServerSpec, logger: Logger): Transport {
  if (spec.url) {
    return new StreamableHTTPClientTransport(new URL(spec.url), {
      requestInit: { headers: { ...spec.headers } },
    });
  }
  const transport = new SupervisedStdioTransport({
    command: spec.command as string,
    args: spec.args,
    env: { ...getDefaultEnvironment(), ...spec.env },
    ...(spec.cwd ? { cwd: spec.cwd } : {}),
    stderr: 'pipe',
  });
  // The child's stderr goes to the hub log (debug), never to the hub's own stderr.
  transport.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8').trimEnd();
    if (text) logger.debug({ server: spec.name, stderr: text.slice(0, 2000) }, 'downstream stderr');
  });
  return transport;
}
