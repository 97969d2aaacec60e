/**
 * 2025-era sessions: `initialize` opens one (a server instance and a Node Streamable HTTP transport),
 * later requests name it by `Mcp-Session-Id`, GET opens its notification stream, DELETE ends it.
 * Idle sessions (no request, no open stream) are closed after an hour; all close with the hub.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { type AuthInfo, isInitializeRequest, type McpServer } from '@modelcontextprotocol/server';
import type { Unsubscribe } from '../../bus/bus.js';
import type { Hub } from '../../hub.js';
import type { SessionBinding } from './identity.js';
import { writeRpcError } from './rpc-reply.js';
import { createHubMcpServer } from './server.js';
import { watchResource } from './watch.js';

const IDLE_MS = 60 * 60 * 1000;
const SWEEP_MS = 60 * 1000;
const MAX_SESSIONS = 10_000;

interface Session {
  binding: SessionBinding;
  server: McpServer;
  transport: NodeStreamableHTTPServerTransport;
  watches: Map<string, Unsubscribe>;
  /** Other subscriptions held for the session's lifetime (gateway tool changes). */
  tracked: Unsubscribe[];
  /** Requests and streams still open. */
  open: number;
  lastActive: number;
  closed: boolean;
}

export class LegacySessions {
  private readonly sessions = new Map<string, Session>();
  private readonly starting = new Set<Session>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly hub: Hub,
    private readonly onCount: (sessions: number) => void,
  ) {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Serves one 2025-era request; the body was read and parsed already (undefined if it was not JSON). */
  async handle(
    req: IncomingMessage & { auth?: AuthInfo },
    res: ServerResponse,
    body: unknown,
    auth: AuthInfo,
  ): Promise<void> {
    req.auth = auth;
    const header = req.headers['mcp-session-id'];
    const sessionId = Array.isArray(header) ? header[0] : header;
    if (sessionId) {
      const session = this.sessions.get(sessionId);
      if (!session) {
        return writeRpcError(
          res,
          404,
          'Session not found: it ended or the hub restarted; start a new session with initialize',
          -32001,
        );
      }
      return this.serve(session, req, res, body);
    }
    if (req.method === 'POST' && body === undefined) {
      return writeRpcError(res, 400, 'Parse error: the request body is not valid JSON', -32700);
    }
    if (req.method !== 'POST' || !isInitializeRequest(body)) {
      return writeRpcError(
        res,
        400,
        'Bad Request: no Mcp-Session-Id header. Start a 2025-era session with initialize (then send the Mcp-Session-Id it returns), ' +
          'or use the 2026-07-28 protocol',
      );
    }
    if (this.sessions.size >= MAX_SESSIONS) {
      return writeRpcError(
        res,
        503,
        `The hub has ${MAX_SESSIONS} open MCP sessions; close some (DELETE /mcp) and retry`,
      );
    }
    return this.start(req, res, body);
  }

  private async start(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const session = {
      binding: { id: '' },
      watches: new Map(),
      tracked: [],
      open: 0,
      lastActive: Date.now(),
      closed: false,
    } as unknown as Session;
    session.transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        session.binding.id = id;
        this.sessions.set(id, session);
        this.onCount(this.sessions.size);
      },
    });
    session.server = createHubMcpServer(this.hub, {
      binding: session.binding,
      watch: (uri, target) => {
        if (session.watches.has(uri) || session.closed) return;
        const notify = () => void session.server.server.sendResourceUpdated({ uri }).catch(() => {});
        session.watches.set(uri, watchResource(this.hub.bus, target, notify));
      },
      unwatch: (uri) => {
        session.watches.get(uri)?.();
        session.watches.delete(uri);
      },
      track: (stop) => {
        if (session.closed) stop();
        else session.tracked.push(stop);
      },
    });
    session.server.server.onclose = () => this.forget(session);
    this.starting.add(session);
    try {
      await session.server.connect(session.transport);
      await this.serve(session, req, res, body);
    } finally {
      this.starting.delete(session);
      if (!session.binding.id) await session.server.close().catch(() => {});
    }
  }

  private async serve(
    session: Session,
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
  ): Promise<void> {
    session.open += 1;
    session.lastActive = Date.now();
    res.once('close', () => {
      session.open -= 1;
      session.lastActive = Date.now();
    });
    await session.transport.handleRequest(req, res, body);
  }

  private forget(session: Session): void {
    if (session.closed) return;
    session.closed = true;
    for (const stop of session.watches.values()) stop();
    session.watches.clear();
    for (const stop of session.tracked.splice(0)) stop();
    if (session.binding.id && this.sessions.get(session.binding.id) === session) {
      this.sessions.delete(session.binding.id);
      this.onCount(this.sessions.size);
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const session of this.sessions.values()) {
      if (session.open <= 0 && now - session.lastActive > IDLE_MS)
        void session.server.close().catch(() => {});
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    const all = [...this.sessions.values(), ...this.starting];
    await Promise.all(all.map((s) => s.server.close().catch(() => {})));
    for (const s of all) this.forget(s);
  }
}
