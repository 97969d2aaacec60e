/** Node request/response plumbing for the MCP endpoint: reading the body, writing a web Response. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';
import { toWebRequest } from '@modelcontextprotocol/node';
export { hostAllowed } from '../http/origin.js';

export interface ReadRequest {
  request: Request;
  /** The parsed JSON body of a POST, or undefined when absent or not JSON. */
  body: unknown;
}

/** Reads the body once (bounded) into a web Request that aborts when the client goes away. */
export async function readRequest(
  req: IncomingMessage,
  signal: AbortSignal,
  maxBytes: number,
): Promise<ReadRequest> {
  const request = await toWebRequest(req, undefined, { signal, maxRequestBodySize: maxBytes });
  let body: unknown;
  if (request.method === 'POST')
    body = await request
      .clone()
      .json()
      .catch(() => undefined);
  return { request, body };
}

export async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  res.writeHead(response.status, headers);
  if (!response.body) {
    res.end();
    return;
  }
  try {
    await pipeline(Readable.fromWeb(response.body as unknown as NodeWebStream<Uint8Array>), res);
  } catch {
    // the client went away mid-stream: nothing left to answer
  }
}
