/**
 * Plain 2026-07-28 requests answered straight from the Node request and response, on one long-lived
 * hub MCP server, the way session-transport.ts answers plain session POSTs. The SDK's handler
 * (createMcpHandler) builds a web Request, connects a server to a fresh single-exchange transport,
 * answers with a web Response and tears the connection down again, for every request; here the server
 * stays connected to one transport (DirectTransport) that carries every request in flight.
 *
 * Which requests (directRoute), else the SDK's handler serves them exactly as before: a POST with a
 * JSON content type whose body is one JSON-RPC request of a method whose handlers send back only their
 * result (tools/call but not register_agent, tools/list, resources/list, resources/templates/list,
 * resources/read, prompts/list, prompts/get, completion/complete), without a progress token, a task, a
 * log level in the envelope, or the retry material of an input-required round (`inputResponses`,
 * `requestState`); that the SDK's classifier routes to 2026-07-28 (a valid envelope whose version and
 * method agree with the headers; asked once per envelope, see DirectClassifier); with the `MCP-Protocol-Version` and `Mcp-Method` headers, and an
 * `Mcp-Name` equal to the body's name or uri where the method has one (a Base64 one goes to the SDK);
 * for a tool call, a tool whose input schema declares no `x-mcp-header` and no scope challenge. So
 * every request the SDK would refuse (400, 404, 415, the header checks) still goes to the SDK and is
 * refused by it, with the same answer; an error the protocol layer answers before any handler runs
 * (an unknown method, an envelope it refuses) is not written here either: the request is handed to
 * the SDK's handler, which answers it (nothing ran).
 *
 * The answer is the SDK's: `application/json` with the result (the client's request id restored: ids
 * are renumbered on the shared connection, two clients may use the same one), status 200 (400 for a
 * missing-client-capability error, as the SDK's transport). A request that sends something related
 * before its result (not expected of these methods) is upgraded to an SSE stream as the SDK's transport
 * does (same headers, keep-alive comments). A client that goes away before the answer aborts the
 * request's handler with the SDK's "Connection closed" error, as closing its single-exchange transport
 * would.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type AuthInfo,
  classifyInboundRequest,
  isJsonContentType,
  type JSONRPCMessage,
  type JSONRPCRequest,
  LOG_LEVEL_META_KEY,
  PerRequestHTTPServerTransport,
  PROTOCOL_VERSION_META_KEY,
  ProtocolErrorCode,
  SdkError,
  SdkErrorCode,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@modelcontextprotocol/server';
import { registerAgent } from '../../ops/agents.js';
import type { HttpDeps } from '../http/context.js';
import { isPlainJsonRpcRequest } from './jsonrpc-shape.js';
import { buildHubMcpServer, type HubMcpServer } from './server.js';
import { requestView } from './session-transport.js';

/** The revision served here (the SDK's handler serves any other modern one). */
export const DIRECT_REVISION = '2026-07-28';

/** Methods whose hub handlers answer with their result only (without a progress token). */
const DIRECT_METHODS = new Set([
  'tools/call',
  'tools/list',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'prompts/list',
  'prompts/get',
  'completion/complete',
]);

/** The body field the `Mcp-Name` header must repeat, per method (the SDK's SEP-2243 table). */
const NAME_FIELD: Record<string, 'name' | 'uri'> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
};

const NOTIFYING_TOOLS = new Set<string>([registerAgent.name]);
const SSE_KEEP_ALIVE_MS = 15_000;

type Route = { message: JSONRPCRequest; classification: { era: 'modern'; revision: string } };

function plainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A header as a web Request's `headers.get` reads it (repeated values joined). */
function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** RFC 9110 optional whitespace around a header value, as the SDK strips it. */
const trimOws = (value: string) => value.replace(/^[ \t]+|[ \t]+$/g, '');

/** Whether an input schema (JSON) declares `x-mcp-header` parameters, once per schema object. */
const declaresHeaders = new WeakMap<object, boolean>();
function hasHeaderDeclarations(schema: object): boolean {
  let found = declaresHeaders.get(schema);
  if (found === undefined) {
    found = JSON.stringify(schema).includes('x-mcp-header');
    declaresHeaders.set(schema, found);
  }
  return found;
}

interface Pending {
  res: ServerResponse;
  /** The client's own request id. */
  id: string | number;
  /** Set when the answer became an SSE stream. */
  keepAlive?: ReturnType<typeof setInterval>;
  /** An error the protocol layer sent before any handler ran (answered by the SDK's handler instead). */
  refused?: boolean;
  onClose: () => void;
}

/**
 * The single transport of the long-lived server. A subclass of the SDK's per-request transport only so
 * that connecting binds the server to 2026-07-28 (the SDK binds a server to the revision of the
 * per-request transport it is connected to); every method of it is overridden.
 */
class DirectTransport extends PerRequestHTTPServerTransport {
  readonly pending = new Map<number, Pending>();
  /** The renumbered id of the request being delivered (its pre-handler errors are refused). */
  dispatching: number | undefined;

  override async start(): Promise<void> {}

  override async close(): Promise<void> {
    for (const [, p] of this.pending) {
      p.res.off('close', p.onClose);
      if (p.keepAlive) clearInterval(p.keepAlive);
      if (!p.res.headersSent && !p.res.destroyed) {
        p.res.writeHead(499);
        p.res.end();
      } else p.res.end();
    }
    this.pending.clear();
    this.onclose?.();
  }

  override async send(
    message: JSONRPCMessage,
    options?: { relatedRequestId?: string | number },
  ): Promise<void> {
    const isResponse = 'id' in message && !('method' in message);
    const related = isResponse ? (message as { id: unknown }).id : options?.relatedRequestId;
    if (typeof related !== 'number') return; // unrelated (a list_changed of a sync): nobody to tell, as per request
    const p = this.pending.get(related);
    if (!p) return;
    if (!isResponse) return this.stream(p, message);
    this.pending.delete(related);
    p.res.off('close', p.onClose);
    const answer = { ...message, id: p.id } as JSONRPCMessage;
    if (this.dispatching === related && 'error' in answer) {
      p.refused = true; // answered by the SDK's handler (see the header)
      return;
    }
    if (p.keepAlive !== undefined) {
      clearInterval(p.keepAlive);
      p.res.end(`event: message\ndata: ${JSON.stringify(answer)}\n\n`);
      return;
    }
    if (p.res.writableEnded || p.res.destroyed) return;
    const text = JSON.stringify(answer);
    const missingCapability =
      'error' in answer && answer.error.code === ProtocolErrorCode.MissingRequiredClientCapability;
    p.res.writeHead(missingCapability ? 400 : 200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    p.res.end(text);
  }

  /** Something related before the result: the answer becomes an SSE stream (the SDK's "auto" mode). */
  private stream(p: Pending, message: JSONRPCMessage): void {
    if (p.res.writableEnded || p.res.destroyed) return;
    if (p.keepAlive === undefined) {
      p.res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      p.keepAlive = setInterval(() => p.res.write(': keepalive\n\n'), SSE_KEEP_ALIVE_MS);
      p.keepAlive.unref();
    }
    p.res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  }
}

/** The most envelopes DirectClassifier remembers (it forgets them all when full). */
export const ENVELOPES_REMEMBERED = 256;
/** Longer envelopes (JSON text) are judged by the SDK every time: the memory stays small whatever clients send. */
export const ENVELOPE_CHARS_REMEMBERED = 2048;

/**
 * Tells whether the SDK's classifier (`classifyInboundRequest`) routes a POST to the 2026-07-28 era as
 * a request of DIRECT_REVISION, asking it only when the answer is not already known. What it costs
 * (about 10 µs a request, most of it zod: the body checked as a result, an error and a request, and
 * the `_meta` envelope against the 2026-07-28 envelope schema) is per request, and a session request
 * does not pay it. The answer depends on the body's JSON-RPC shape, its method, its envelope and the
 * two headers; all but the envelope are checked here without zod when they are the usual ones (a
 * body `isPlainJsonRpcRequest` accepts, so neither a result nor an error; not `initialize`; an
 * envelope claiming DIRECT_REVISION; the `MCP-Protocol-Version` header exactly DIRECT_REVISION and
 * `Mcp-Method` exactly the body's method), and the envelope's validity depends on the envelope alone:
 * an envelope the classifier accepted once is remembered by its JSON text (equal text, equal value,
 * equal verdict; a client sends the same one with every request). Anything else, or an envelope not
 * seen yet, is classified by the SDK as before.
 */
export class DirectClassifier {
  private readonly accepted = new Set<string>();

  /** Envelopes remembered now. */
  get remembered(): number {
    return this.accepted.size;
  }

  isDirect(input: {
    protocolVersionHeader: string;
    mcpMethodHeader: string;
    mcpNameHeader?: string;
    body: unknown;
  }): boolean {
    const { body, protocolVersionHeader, mcpMethodHeader } = input;
    let key: string | undefined;
    if (
      protocolVersionHeader === DIRECT_REVISION &&
      isPlainJsonRpcRequest(body) &&
      (body as { method: string }).method === mcpMethodHeader &&
      mcpMethodHeader !== 'initialize'
    ) {
      const meta = (body as { params?: { _meta?: Record<string, unknown> } }).params?._meta;
      if (meta !== undefined && meta[PROTOCOL_VERSION_META_KEY] === DIRECT_REVISION) {
        key = JSON.stringify(meta);
        if (key.length > ENVELOPE_CHARS_REMEMBERED) key = undefined;
        else if (this.accepted.has(key)) return true;
      }
    }
    const route = classifyInboundRequest({ httpMethod: 'POST', ...input });
    const direct =
      route.kind === 'modern' &&
      route.messageKind === 'request' &&
      route.classification.revision === DIRECT_REVISION;
    if (direct && key !== undefined) {
      if (this.accepted.size >= ENVELOPES_REMEMBERED) this.accepted.clear();
      this.accepted.add(key);
    }
    return direct;
  }
}

export class ModernDirect {
  private readonly entry: HubMcpServer;
  private readonly classifier = new DirectClassifier();
  private readonly transport: DirectTransport;
  private connected = false;
  private nextId = 1;
  /** Requests answered here (tests and the bench can tell the path taken). */
  answered = 0;

  constructor(hub: HttpDeps) {
    this.entry = buildHubMcpServer(hub, undefined, [...SUPPORTED_PROTOCOL_VERSIONS, DIRECT_REVISION]);
    this.transport = new DirectTransport({ classification: { era: 'modern', revision: DIRECT_REVISION } });
    void this.entry.server.connect(this.transport).then(
      () => (this.connected = true),
      (err: unknown) => hub.logger.warn({ err }, 'direct 2026-07-28 answering unavailable'),
    );
  }

  /** The request's route when it is one answered here (see the header), else undefined. */
  private route(req: IncomingMessage, body: unknown): Route | undefined {
    if (!this.connected || req.method !== 'POST' || !plainObject(body)) return undefined;
    if (!isJsonContentType(header(req, 'content-type') ?? null)) return undefined;
    const { id, method, params } = body;
    if (typeof method !== 'string' || !DIRECT_METHODS.has(method)) return undefined;
    if (typeof id !== 'string' && typeof id !== 'number') return undefined;
    if (!plainObject(params) || params.task !== undefined) return undefined;
    if ('inputResponses' in params || 'requestState' in params) return undefined;
    const meta = params._meta;
    if (!plainObject(meta) || meta.progressToken !== undefined || LOG_LEVEL_META_KEY in meta)
      return undefined;
    if (method === 'tools/call' && (typeof params.name !== 'string' || NOTIFYING_TOOLS.has(params.name)))
      return undefined;
    const versionHeader = header(req, 'mcp-protocol-version');
    const methodHeader = header(req, 'mcp-method');
    if (versionHeader === undefined || methodHeader === undefined) return undefined;
    const nameField = NAME_FIELD[method];
    const nameHeader = header(req, 'mcp-name');
    if (nameField !== undefined) {
      // A Base64 one (or one that may look like it) is decoded and checked by the SDK.
      if (nameHeader !== undefined && trimOws(nameHeader).startsWith('=?')) return undefined;
      if (typeof params[nameField] === 'string') {
        if (nameHeader === undefined || trimOws(nameHeader) !== params[nameField]) return undefined;
      }
    }
    const direct = this.classifier.isDirect({
      protocolVersionHeader: versionHeader,
      mcpMethodHeader: methodHeader,
      ...(nameHeader !== undefined ? { mcpNameHeader: nameHeader } : {}),
      body,
    });
    if (!direct) return undefined;
    return {
      message: body as unknown as JSONRPCRequest,
      classification: { era: 'modern', revision: DIRECT_REVISION },
    };
  }

  /**
   * Answers the request when it is one of those above and returns true; false: nothing was written
   * and no handler ran (the caller hands the request to the SDK's handler).
   */
  serve(req: IncomingMessage, res: ServerResponse, body: unknown, auth: AuthInfo): boolean {
    const route = this.route(req, body);
    if (!route) return false;
    const { server, syncGateway } = this.entry;
    const { message } = route;
    if (message.method === 'tools/call') {
      const name = (message.params as { name: string }).name;
      const schema = server.toolInputSchemaJson(name);
      if (schema !== undefined && hasHeaderDeclarations(schema)) return false;
    }
    if (
      message.method === 'tools/call' ||
      message.method === 'resources/read' ||
      message.method === 'prompts/get'
    ) {
      if (server.resolveScopeChallenge({ request: message, authInfo: auth }) !== undefined) return false;
    }
    syncGateway();
    const transport = this.transport;
    const inner = this.nextId++;
    const pending: Pending = {
      res,
      id: message.id,
      onClose: () => {
        if (transport.pending.get(inner) !== pending) return;
        // The client went away before the answer: its handler is aborted, as closing its
        // single-exchange transport would (Protocol's per-request abort controllers).
        transport.pending.delete(inner);
        if (pending.keepAlive) clearInterval(pending.keepAlive);
        const controllers = (
          server.server as unknown as { _requestHandlerAbortControllers?: Map<unknown, AbortController> }
        )._requestHandlerAbortControllers;
        controllers?.get(inner)?.abort(new SdkError(SdkErrorCode.ConnectionClosed, 'Connection closed'));
      },
    };
    transport.pending.set(inner, pending);
    res.once('close', pending.onClose);
    transport.dispatching = inner;
    try {
      transport.onmessage?.({ ...message, id: inner }, {
        authInfo: auth,
        request: requestView(req),
        classification: route.classification,
      } as never);
    } finally {
      transport.dispatching = undefined;
    }
    if (pending.refused) return false;
    this.answered += 1;
    return true;
  }

  async close(): Promise<void> {
    await this.entry.server.close().catch(() => {});
  }
}
