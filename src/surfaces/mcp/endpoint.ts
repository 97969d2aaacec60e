/**
 * `/mcp`: one endpoint for both protocol eras. Identity comes from the bearer header (401 when it is
 * wrong). Plain 2026-07-28 requests are answered on one long-lived server (modern-direct.ts), the
 * others go to the SDK's stateless handler (served by reused servers, stateless-servers.ts); 2025-era ones (isLegacyNodeRequest) to sessions. Resource subscriptions of
 * 2026 listen streams are authorized here and fed from the bus.
 */
import type { AuthInfo } from '@modelcontextprotocol/server';
import { createMcpHandler, type McpHttpHandler } from '@modelcontextprotocol/server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Unsubscribe } from '../../bus/bus.js';
import { GATEWAY_CHANNEL } from '../../bus/gateway-events.js';
import { toHubError } from '../../core/errors.js';
import type { HttpDeps } from '../http/context.js';
import { bearerFrom, identify } from '../http/auth.js';
import { claimsModernEnvelope, hostAllowed, readRequest, writeResponse } from './http-io.js';
import { authInfoFor, type RequestIdentity } from './identity.js';
import { listenResources } from './listen.js';
import { ModernDirect } from './modern-direct.js';
import { writeRpcError } from './rpc-reply.js';
import { profilesOfUrl } from './tool-profiles.js';
import { isLegacyNodeRequest, LegacySessions } from './sessions.js';
import { StatelessServers } from './stateless-servers.js';
import { ListenWatches } from './watch.js';

export class McpEndpoint {
  private readonly modern: McpHttpHandler;
  private readonly watches: ListenWatches;
  readonly sessions: LegacySessions;
  readonly stateless: StatelessServers;
  readonly direct: ModernDirect;
  private readonly maxBytes: number;
  private readonly gatewayWatch: Unsubscribe;

  constructor(private readonly hub: HttpDeps) {
    this.maxBytes = hub.config.http.bodyLimitBytes;
    this.stateless = new StatelessServers(hub);
    this.direct = new ModernDirect(hub);
    this.modern = createMcpHandler(this.stateless.take, {
      legacy: 'reject',
      maxRequestBodySize: this.maxBytes,
      onerror: (err) => hub.logger.debug({ err: err.message }, 'mcp request refused'),
    });
    // Downstream tools changed: tell 2026 listeners (2025 sessions follow through their own server).
    this.gatewayWatch = hub.bus.subscribe(GATEWAY_CHANNEL, (event) => {
      if (event.type === 'gateway.tools_changed') this.modern.notify.toolsChanged();
      if (event.type === 'gateway.catalog_changed') {
        this.modern.notify.promptsChanged();
        this.modern.notify.resourcesChanged();
      }
    });
    this.watches = new ListenWatches(hub.bus, (uri) => this.modern.notify.resourceUpdated(uri));
    this.sessions = new LegacySessions(hub, (n) => {
      hub.live.set('mcp_sessions', n);
      hub.metrics.connections.set({ kind: 'mcp_session' }, n);
    });
    hub.live.set('mcp_sessions', 0);
    hub.metrics.connections.set({ kind: 'mcp_session' }, 0);
  }

  async handle(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    // Every answer below is written to the raw response (the SDK transports stream into it); the
    // server's onResponse hook still logs the request line when it finishes.
    reply.hijack();
    const res = reply.raw;
    for (const [key, value] of Object.entries(reply.getHeaders()))
      if (value !== undefined) res.setHeader(key, value);
    if (req.method !== 'GET' && req.method !== 'POST' && req.method !== 'DELETE') {
      return writeRpcError(
        res,
        405,
        `Method ${req.method} is not allowed on /mcp: use POST, GET or DELETE`,
        -32000,
        {
          allow: 'GET, POST, DELETE',
        },
      );
    }
    const { config } = this.hub;
    if (!hostAllowed(config.host, req.headers.host, config.http.allowedOrigins)) {
      return writeRpcError(
        res,
        403,
        `Host ${req.headers.host} is not allowed (DNS-rebinding protection); use localhost or 127.0.0.1`,
      );
    }
    try {
      profilesOfUrl(req.url); // ?tools=<profiles>: an unknown one is refused before anything else
    } catch (err) {
      return writeRpcError(res, 400, toHubError(err).message);
    }
    let identity: RequestIdentity;
    try {
      const token = bearerFrom(req.headers.authorization);
      const { caller } = await identify(this.hub.services, this.hub.adminToken, token, req.raw.socket);
      identity = { caller, token, remote: req.ip };
    } catch (err) {
      const e = toHubError(err);
      return writeRpcError(res, e.code === 'unauthorized' ? 401 : 400, e.message, -32001, {
        'www-authenticate': 'Bearer realm="switchboard"',
      });
    }
    try {
      await this.serve(req, res, identity);
    } catch (err) {
      this.hub.logger.error({ err, request_id: req.id }, 'mcp request failed');
      writeRpcError(res, 500, 'Internal error; the hub log has the details', -32603);
    }
  }

  private async serve(
    req: FastifyRequest,
    res: FastifyReply['raw'],
    identity: RequestIdentity,
  ): Promise<void> {
    let read: Awaited<ReturnType<typeof readRequest>>;
    try {
      read = await readRequest(req.raw, this.maxBytes);
    } catch (err) {
      const tooLarge = (err as Error)?.name === 'RequestBodyTooLargeError';
      return writeRpcError(
        res,
        tooLarge ? 413 : 400,
        tooLarge
          ? `The request body is larger than ${this.maxBytes} bytes`
          : 'The request body could not be read',
      );
    }
    const { body } = read;
    const auth: AuthInfo = authInfoFor(identity);
    // A body that claims the 2026-07-28 envelope skips the classifier: it can never be a session request.
    if (!claimsModernEnvelope(body) && isLegacyNodeRequest(req.raw, body)) {
      return this.sessions.handle(req.raw, res, body, auth, identity);
    }
    // A plain 2026-07-28 request is answered on the Node response (modern-direct.ts); the rest below.
    if (this.direct.serve(req.raw, res, body, auth)) return;
    const listen = await listenResources(this.hub.services, body, identity.caller);
    if (listen.refusal) return writeResponse(res, listen.refusal);
    const release = listen.resources.length ? this.watches.hold(listen.resources) : undefined;
    if (release) res.once('close', release);
    // The 2026 handler sees the client go away through its Request's signal. Only then: after a
    // complete answer nothing listens any more (an abort per request was a visible per-call cost).
    const aborted = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) aborted.abort();
    };
    if (res.closed) onClose();
    else res.once('close', onClose);
    const response = await this.modern.fetch(read.full(aborted.signal), {
      authInfo: auth,
      ...(body !== undefined ? { parsedBody: body } : {}),
    });
    await writeResponse(res, response);
  }

  async close(): Promise<void> {
    this.gatewayWatch();
    this.watches.close();
    await this.sessions.close();
    await this.direct.close();
    await this.modern.close();
    this.stateless.close();
  }
}
