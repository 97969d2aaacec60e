/**
 * A 2025-era session's transport: the SDK's Node Streamable HTTP transport, except that a POST which
 * cannot produce notifications related to its request is answered with one `application/json` body
 * instead of an SSE stream (the spec lets the server choose either per request). The SDK only offers
 * that choice per transport (`enableJsonResponse`, which drops every related notification), so the
 * plain case is answered here, straight on the Node response: no web Request/Response, no stream.
 *
 * Which requests are answered with JSON (jsonEligible): a single JSON-RPC request (no batch), not
 * `initialize`, whose method is one whose handlers send nothing back but their result, without a
 * progress token in `_meta` (progress of blocking calls, approvals and downstream tools goes only to
 * a token) and not task-augmented; for `tools/call`, not a tool that notifies its own request
 * (`register_agent` tells the session its tool list changed when it binds an agent). Everything else
 * (notifications, batches, GET streams, DELETE, initialize, unknown methods) goes to the SDK transport
 * exactly as before. Should a request answered with JSON still emit a related message, it goes to
 * the session's GET stream instead of being lost.
 *
 * The JSON path keeps the SDK's rules: the client must accept both `application/json` and
 * `text/event-stream` (406), the body must be JSON (415), a `Mcp-Protocol-Version` header must name a
 * supported version (400), a closed session is not found (404); the answer carries `Mcp-Session-Id`.
 * No event store is used (no resumability), so nothing is lost by not streaming.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import {
  type AuthInfo,
  isJSONRPCRequest,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type Transport,
} from '@modelcontextprotocol/server';
import { registerAgent } from '../../ops/agents.js';
import { isPlainJsonRpcRequest } from './jsonrpc-shape.js';
import { writeRpcError } from './rpc-reply.js';

/** Methods whose hub handlers answer with their result only (when no progress token asks for more). */
const QUIET_METHODS = new Set([
  'tools/call',
  'tools/list',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'resources/subscribe',
  'resources/unsubscribe',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'logging/setLevel',
  'ping',
]);

/** Tools that send a notification related to their own request (on the request's SSE stream). */
const NOTIFYING_TOOLS = new Set<string>([registerAgent.name]);

type SessionTransportOptions = ConstructorParameters<typeof NodeStreamableHTTPServerTransport>[0];

/** Whether a POST body can be answered with a single JSON body (see the header). */
export function jsonEligible(body: unknown): body is JSONRPCRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const { jsonrpc, id, method, params } = body as Record<string, unknown>;
  if (jsonrpc !== '2.0' || typeof method !== 'string' || !QUIET_METHODS.has(method)) return false;
  if (typeof id !== 'string' && typeof id !== 'number') return false;
  if (params !== undefined) {
    if (typeof params !== 'object' || params === null || Array.isArray(params)) return false;
    const p = params as Record<string, unknown>;
    if (p.task !== undefined) return false;
    const meta = p._meta;
    if (meta !== undefined) {
      if (typeof meta !== 'object' || meta === null) return false;
      if ((meta as Record<string, unknown>).progressToken !== undefined) return false;
    }
    if (method === 'tools/call' && (typeof p.name !== 'string' || NOTIFYING_TOOLS.has(p.name))) return false;
  }
  return true;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * What a handler sees as `ctx.http.req` for a request answered with JSON: the URL (tool profiles) and
 * the headers on demand. No abort signal: a client that goes away cancels the request instead (see
 * serveJson), which aborts the handler's own signal, one controller fewer per call.
 */
export function requestView(req: IncomingMessage): Request {
  let headers: Headers | undefined;
  const view = {
    method: req.method ?? 'POST',
    url: `http://${header(req, 'host') ?? 'localhost'}${req.url ?? '/'}`,
    get headers(): Headers {
      if (!headers) {
        headers = new Headers();
        for (const [name, value] of Object.entries(req.headers)) {
          if (value === undefined) continue;
          if (Array.isArray(value)) for (const v of value) headers.append(name, v);
          else headers.set(name, value);
        }
      }
      return headers;
    },
  };
  return view as unknown as Request;
}

export class SessionTransport implements Transport {
  private readonly inner: NodeStreamableHTTPServerTransport;
  /** Requests answered with JSON, still waiting for their result: request id -> response. */
  private readonly pending = new Map<string | number, ServerResponse>();
  private supported: readonly string[] = [];
  private closed = false;

  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport['onmessage'];

  constructor(options: SessionTransportOptions) {
    this.inner = new NodeStreamableHTTPServerTransport(options);
    this.inner.onmessage = (message, extra) => this.onmessage?.(message, extra);
    this.inner.onerror = (error) => this.onerror?.(error);
    this.inner.onclose = () => {
      this.closed = true;
      this.endPending();
      this.onclose?.();
    };
  }

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  setSupportedProtocolVersions(versions: string[]): void {
    this.supported = versions;
    this.inner.setSupportedProtocolVersions(versions);
  }

  async send(message: JSONRPCMessage, options?: { relatedRequestId?: string | number }): Promise<void> {
    if (this.pending.size > 0) {
      // The SDK's own messages: a response has an id and a result or an error, and no method.
      if ('id' in message && !('method' in message)) {
        const res = this.pending.get(message.id as string | number);
        if (res) {
          this.pending.delete(message.id as string | number);
          return this.answer(res, message);
        }
      } else if (options?.relatedRequestId !== undefined && this.pending.has(options.relatedRequestId)) {
        // Not expected (see jsonEligible); the session's GET stream still carries it.
        return this.inner.send(message);
      }
    }
    return this.inner.send(message, options);
  }

  /** Serves one request of the session (already found by its Mcp-Session-Id, or initialize). */
  async handleRequest(
    req: IncomingMessage & { auth?: AuthInfo },
    res: ServerResponse,
    body: unknown,
  ): Promise<void> {
    if (req.method === 'POST' && this.sessionId !== undefined && jsonEligible(body)) {
      return this.serveJson(req, res, body);
    }
    return this.inner.handleRequest(req, res, body);
  }

  private serveJson(
    req: IncomingMessage & { auth?: AuthInfo },
    res: ServerResponse,
    message: JSONRPCRequest,
  ): void {
    const accept = header(req, 'accept');
    if (!accept?.includes('application/json') || !accept.includes('text/event-stream')) {
      return writeRpcError(
        res,
        406,
        'Not Acceptable: Client must accept both application/json and text/event-stream',
        -32000,
      );
    }
    const type = header(req, 'content-type')?.split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') {
      return writeRpcError(res, 415, 'Unsupported Media Type: Content-Type must be application/json', -32000);
    }
    const version = header(req, 'mcp-protocol-version');
    if (version !== undefined && !this.supported.includes(version)) {
      return writeRpcError(
        res,
        400,
        `Bad Request: Unsupported protocol version: ${version} (supported versions: ${this.supported.join(', ')})`,
        -32000,
      );
    }
    if (this.closed) return writeRpcError(res, 404, 'Session not found', -32001);
    if (!isPlainJsonRpcRequest(message) && !isJSONRPCRequest(message))
      return void this.inner.handleRequest(req, res, message);
    const { id } = message;
    this.pending.set(id, res);
    res.once('close', () => {
      if (this.pending.get(id) !== res) return; // answered
      // The client went away before the answer: the request is cancelled, as its stream would be.
      this.pending.delete(id);
      this.onmessage?.({
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: id, reason: 'The client went away before the answer' },
      });
    });
    this.onmessage?.(message, { authInfo: req.auth, request: requestView(req) });
  }

  private answer(res: ServerResponse, message: JSONRPCMessage): void {
    if (res.writableEnded || res.destroyed) return;
    const text = JSON.stringify(message);
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...(this.sessionId !== undefined ? { 'mcp-session-id': this.sessionId } : {}),
    });
    res.end(text);
  }

  /** The session closed with requests unanswered: they end as "not found", like a closed session. */
  private endPending(): void {
    for (const [id, res] of this.pending) {
      if (res.headersSent || res.writableEnded || res.destroyed) continue;
      const text = JSON.stringify({
        jsonrpc: '2.0',
        id,
        error: { code: -32001, message: 'Session not found: it ended before this request was answered' },
      });
      res.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    }
    this.pending.clear();
  }
}
