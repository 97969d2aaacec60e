/**
 * 2025-era sessions: `initialize` opens one (a server instance and a transport, session-transport.ts:
 * plain requests answered with JSON, the others with the SDK's SSE streams),
 * later requests name it by `Mcp-Session-Id`, GET opens its notification stream, DELETE ends it.
 * Opening one is limited per caller (session-limits.ts). A session whose client sends nothing after
 * `initialize` (no `notifications/initialized`) is closed after `mcp.sessions.initSeconds`; one with no request and no
 * open stream after `idleSeconds` (`anonymousIdleSeconds` if it never identified). When a session
 * ends, the agents it registered (whose tokens were never shown) are retired; all close with the hub.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type AuthInfo,
  classifyInboundRequest,
  isInitializeRequest,
  type McpServer,
} from '@modelcontextprotocol/server';
import type { Unsubscribe } from '../../bus/bus.js';
import { admin } from '../../core/caller.js';
import { toHubError } from '../../core/errors.js';
import type { HttpDeps } from '../http/context.js';
import { type RequestIdentity, SessionBinding } from './identity.js';
import { surelyLegacyPost } from './jsonrpc-shape.js';
import { writeHubError, writeRpcError } from './rpc-reply.js';
import { createHubMcpServer } from './server.js';
import { ownerOf, SessionLimits } from './session-limits.js';
import { SessionTransport } from './session-transport.js';
import { watchResource } from './watch.js';

/** Why the hub closed a session itself (the reason label of switchboard_connections_closed_total). */
type Reclaim = 'init_timeout' | 'idle';

interface Session {
  binding: SessionBinding;
  server: McpServer;
  transport: SessionTransport;
  watches: Map<string, Unsubscribe>;
  /** Other subscriptions held for the session's lifetime (gateway tool changes). */
  tracked: Unsubscribe[];
  /** Requests and streams still open. */
  open: number;
  createdAt: number;
  lastActive: number;
  /** The client sent notifications/initialized. */
  initialized: boolean;
  /** Opened with a token (anonymous sessions that never register are reclaimed sooner). */
  identified: boolean;
  /** Gives the session's place in its caller's budget back. */
  release: () => void;
  /** Being closed by the hub (reclaimed); closed once its server has closed. */
  ending: boolean;
  closed: boolean;
}

/** The JSON-RPC id of a request body, so a refusal answers the request it refuses. */
function requestId(body: unknown): string | number | null {
  const id = (body as { id?: unknown }).id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Whether a request belongs to the 2025-era sessions: the SDK's isLegacyRequest (the same
 * classification, classifyInboundRequest), read from the Node request and its parsed body without
 * building a web Request first. A POST without a JSON body is 2025-era, as there.
 */
export function isLegacyNodeRequest(req: IncomingMessage, body: unknown): boolean {
  const httpMethod = (req.method ?? 'GET').toUpperCase();
  if (httpMethod === 'POST' && body === undefined) return true;
  const protocolVersionHeader = headerOf(req, 'mcp-protocol-version');
  // The usual session request, told without the classifier's zod checks (same answer; jsonrpc-shape.ts).
  if (httpMethod === 'POST' && surelyLegacyPost(body, protocolVersionHeader)) return true;
  const mcpMethodHeader = headerOf(req, 'mcp-method');
  const mcpNameHeader = headerOf(req, 'mcp-name');
  return (
    classifyInboundRequest({
      httpMethod,
      ...(protocolVersionHeader !== undefined ? { protocolVersionHeader } : {}),
      ...(mcpMethodHeader !== undefined ? { mcpMethodHeader } : {}),
      ...(mcpNameHeader !== undefined ? { mcpNameHeader } : {}),
      ...(httpMethod === 'POST' ? { body } : {}),
    }).kind === 'legacy'
  );
}

export class LegacySessions {
  private readonly sessions = new Map<string, Session>();
  private readonly starting = new Set<Session>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly limits: SessionLimits;
  private readonly retiring = new Set<Promise<unknown>>();

  constructor(
    private readonly hub: HttpDeps,
    private readonly onCount: (sessions: number) => void,
  ) {
    const cfg = hub.config.mcp.sessions;
    this.limits = new SessionLimits(cfg, hub.config.rateLimit.enabled);
    // Often enough that a half-open or idle session outlives its limit by at most a quarter of it.
    const shortest = Math.min(cfg.initSeconds, cfg.idleSeconds, cfg.anonymousIdleSeconds) * 1000;
    this.sweeper = setInterval(() => this.sweep(), Math.min(60_000, Math.max(50, shortest / 4)));
    this.sweeper.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  /**
   * A 2025-era session lives in the memory of the node that created it. In a cluster its id starts
   * with that node's id, so another node reached by mistake (a load balancer without stickiness) can
   * say where it lives instead of only "not found".
   */
  private newSessionId(): string {
    const nodes = this.hub.services.info.nodes;
    return nodes.store === 'postgres' ? `${nodes.id}.${randomUUID()}` : randomUUID();
  }

  private notFound(sessionId: string): string {
    const nodes = this.hub.services.info.nodes;
    const owner = /^(node_[0-9A-Za-z]{10,40})\./.exec(sessionId)?.[1];
    if (owner && owner !== nodes.id) {
      return (
        `Session not found on hub node ${nodes.id}: it lives on hub node ${owner}. Route each request by its ` +
        'Mcp-Session-Id header to the node that created the session (sticky sessions), start a new session ' +
        'here with initialize, or use the 2026-07-28 protocol, which any node serves'
      );
    }
    return 'Session not found: it ended or the hub restarted; start a new session with initialize';
  }

  /** Serves one 2025-era request; the body was read and parsed already (undefined if it was not JSON). */
  async handle(
    req: IncomingMessage & { auth?: AuthInfo },
    res: ServerResponse,
    body: unknown,
    auth: AuthInfo,
    identity: RequestIdentity,
  ): Promise<void> {
    req.auth = auth;
    const header = req.headers['mcp-session-id'];
    const sessionId = Array.isArray(header) ? header[0] : header;
    if (sessionId) {
      const session = this.sessions.get(sessionId);
      if (!session) return writeRpcError(res, 404, this.notFound(sessionId), -32001);
      // A client that goes on using its session has finished initializing, notification or not.
      session.initialized = true;
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
    const owner = ownerOf(identity.caller, identity.remote);
    let release: () => void;
    try {
      release = this.limits.admit(owner);
    } catch (err) {
      return writeHubError(res, toHubError(err), requestId(body));
    }
    return this.start(req, res, body, { release, identified: !owner.anonymous });
  }

  private async start(
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    budget: { release: () => void; identified: boolean },
  ): Promise<void> {
    const now = Date.now();
    const session = {
      binding: new SessionBinding(),
      watches: new Map(),
      tracked: [],
      open: 0,
      createdAt: now,
      lastActive: now,
      initialized: false,
      identified: budget.identified,
      release: budget.release,
      ending: false,
      closed: false,
    } as unknown as Session;
    session.transport = new SessionTransport({
      sessionIdGenerator: () => this.newSessionId(),
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
    session.server.server.oninitialized = () => {
      session.initialized = true;
    };
    this.starting.add(session);
    try {
      await session.server.connect(session.transport);
      await this.serve(session, req, res, body);
    } finally {
      this.starting.delete(session);
      if (!session.binding.id) {
        session.release();
        await session.server.close().catch(() => {});
      }
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
    session.release();
    for (const stop of session.watches.values()) stop();
    session.watches.clear();
    for (const stop of session.tracked.splice(0)) stop();
    if (session.binding.id && this.sessions.get(session.binding.id) === session) {
      this.sessions.delete(session.binding.id);
      this.onCount(this.sessions.size);
    }
    for (const agentId of session.binding.agents) this.retire(agentId);
  }

  /** An agent registered in a session has a token nobody was shown: once the session ends, nobody can act as it. */
  private retire(agentId: string): void {
    const done = this.hub.services.agents
      .retire(agentId, admin, 'its MCP session ended')
      .catch((err) => this.hub.logger.warn({ err, agent_id: agentId }, 'retiring a session agent failed'))
      .finally(() => this.retiring.delete(done));
    this.retiring.add(done);
  }

  private sweep(): void {
    const now = Date.now();
    const { initSeconds, idleSeconds, anonymousIdleSeconds } = this.hub.config.mcp.sessions;
    for (const session of this.sessions.values()) {
      if (!session.initialized) {
        if (now - session.createdAt > initSeconds * 1000) this.reclaim(session, 'init_timeout');
        continue;
      }
      const identified = session.identified || session.binding.agentId !== undefined;
      const idleMs = (identified ? idleSeconds : anonymousIdleSeconds) * 1000;
      if (session.open <= 0 && now - session.lastActive > idleMs) this.reclaim(session, 'idle');
    }
  }

  private reclaim(session: Session, reason: Reclaim): void {
    if (session.ending) return;
    session.ending = true;
    this.hub.metrics.connectionsClosed.inc({ kind: 'mcp_session', reason });
    void session.server.close().catch(() => {});
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    const all = [...this.sessions.values(), ...this.starting];
    await Promise.all(all.map((s) => s.server.close().catch(() => {})));
    for (const s of all) this.forget(s);
    await Promise.all([...this.retiring]);
  }
}
