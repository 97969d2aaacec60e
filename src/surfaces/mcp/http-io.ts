/**
 * Node request/response plumbing for the MCP endpoint: reading the body, telling a surely-modern
 * request without the SDK's classifier, writing a web Response (a JSON one in one write, an SSE
 * stream piped as it comes).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';
import { PROTOCOL_VERSION_META_KEY } from '@modelcontextprotocol/server';
export { hostAllowed } from '../http/origin.js';

export interface ReadRequest {
  /** The parsed JSON body of a POST, or undefined when absent or not JSON. */
  body: unknown;
  /**
   * The request for the 2026-07-28 handler, aborted by `signal`. It carries the body only when the
   * body did not parse (the handler then reads it and answers the parse error): a parsed body is
   * handed to the handler as `parsedBody`, and it reads nothing from the request then, so the web
   * body stream (the costly part of a web Request) is not built.
   */
  full(signal: AbortSignal): Request;
}

/** What toWebRequest rejects an oversized body with (the endpoint answers 413 on this name). */
class RequestBodyTooLargeError extends Error {
  override name = 'RequestBodyTooLargeError';
  readonly status = 413;
  constructor(maxBytes: number) {
    super(`Payload Too Large: Request body must not exceed ${maxBytes} bytes`);
  }
}

const utf8 = new TextDecoder();

/**
 * The body as text, at most maxBytes. Read with listeners rather than the stream's async iterator
 * (a promise per chunk and an end-of-stream watcher per request); as the iterator does, a body over
 * the limit destroys the request, and a request that closes before its end rejects.
 */
function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  if (Number(req.headers['content-length']) > maxBytes) {
    return Promise.reject(new RequestBodyTooLargeError(maxBytes));
  }
  // As the iterator ends at once on a stream that already ended, and fails on one already destroyed.
  if (req.readableEnded) return Promise.resolve('');
  if (req.destroyed) return Promise.reject(new Error('The request closed before its body ended'));
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const done = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer | string) => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      received += buf.byteLength;
      if (received > maxBytes) {
        done();
        req.destroy();
        reject(new RequestBodyTooLargeError(maxBytes));
        return;
      }
      chunks.push(buf);
    };
    const onEnd = () => {
      done();
      // As toWebRequest decodes it (a leading byte order mark is dropped, bad bytes become U+FFFD).
      resolve(utf8.decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    const onClose = () => {
      done();
      reject(new Error('The request closed before its body ended'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/**
 * Reads the body once (bounded) and parses it. Routing (isLegacyRequest) needs only the head, and a
 * 2025-era session request goes to the SDK's Node transport as it is, so the full web Request (a
 * body stream and an abort signal: the costly part, on every tool call) is built only for the
 * 2026-07-28 handler.
 */
export async function readRequest(req: IncomingMessage, maxBytes: number): Promise<ReadRequest> {
  const method = (req.method ?? 'GET').toUpperCase();
  const text = method === 'GET' || method === 'HEAD' ? '' : await readBody(req, maxBytes);
  let body: unknown;
  if (method === 'POST' && text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }
  const url = `http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`;
  // Built only when asked for: a 2025-era session request is routed and served from the Node request.
  let headers: Headers | undefined;
  const headersOf = (): Headers => {
    if (headers) return headers;
    headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || name.startsWith(':')) continue;
      if (Array.isArray(value)) for (const item of value) headers.append(name, item);
      else headers.set(name, value);
    }
    return headers;
  };
  return {
    body,
    full: (signal) =>
      new Request(url, {
        method,
        headers: headersOf(),
        signal,
        ...(body === undefined && text.length > 0 ? { body: text } : {}),
      }),
  };
}

/**
 * True when a POST body is one the SDK can only route to the 2026-07-28 handler, so the endpoint can
 * skip `isLegacyRequest` (a second classification of every modern request: zod checks of the
 * JSON-RPC shape and the envelope). That is a single JSON-RPC object whose params carry the
 * envelope's protocol-version claim, with no `result` or `error` member (so not a response) and not
 * `initialize` (an initialize with a claim that is not a valid modern envelope is legacy), POSTed: the SDK's
 * classifier answers any such body "modern" or rejects it on the modern path, never "legacy".
 * Anything else (undefined: not sure) goes through `isLegacyRequest`.
 */
export function claimsModernEnvelope(body: ReadRequest['body']): boolean {
  // readRequest parses only a POST's body: anything else has none here.
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return false;
  const msg = body as Record<string, unknown>;
  if ('result' in msg || 'error' in msg || msg.method === 'initialize') return false;
  const params = msg.params;
  if (params === null || typeof params !== 'object' || Array.isArray(params)) return false;
  const meta = (params as Record<string, unknown>)._meta;
  return (
    meta !== null && typeof meta === 'object' && !Array.isArray(meta) && PROTOCOL_VERSION_META_KEY in meta
  );
}

export async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  if (!response.body) {
    res.writeHead(response.status, headers);
    res.end();
    return;
  }
  // A whole JSON answer (the usual 2026-07-28 tool call): written in one piece, without a stream.
  if (!headers['content-type']?.startsWith('text/event-stream')) {
    let bytes: Buffer;
    try {
      bytes = Buffer.from(await response.arrayBuffer());
    } catch {
      res.destroy(); // the answer could not be produced after all: no half answer
      return;
    }
    headers['content-length'] = String(bytes.byteLength);
    res.writeHead(response.status, headers);
    res.end(bytes);
    return;
  }
  res.writeHead(response.status, headers);
  try {
    await pipeline(Readable.fromWeb(response.body as unknown as NodeWebStream<Uint8Array>), res);
  } catch {
    // the client went away mid-stream: nothing left to answer
  }
}
