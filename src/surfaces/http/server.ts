/** Builds the HTTP server: REST, WebSocket, SSE, health, metrics, OpenAPI; the MCP endpoint mounts beside. */
import websocket from '@fastify/websocket';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import { HubError, toHubError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import { summarizeNode } from '../../ops/system.js';
import { createHttpContext, type HttpContext, type HttpDeps } from './context.js';
import { buildOpenApi } from './openapi.js';
import { hostAllowed, originAllowed } from './origin.js';
import { sendError } from './reply.js';
import { mountRest } from './rest.js';
import { mountOrchestratorCompat } from './orchestrator-compat.js';
import { mountSse } from './sse.js';
import { mountUi } from './ui.js';
import { mountWebSocket } from './ws.js';

/** Fastify's own failures (body too large, bad JSON, wrong content type) as hub errors. */
function fromFastifyError(err: FastifyError): HubError {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HubError(
        'payload_too_large',
        `The request body is larger than this hub accepts (${err.message})`,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HubError('invalid_input', 'Send the request body as JSON (Content-Type: application/json)');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HubError(
        'invalid_input',
        'The body is empty but Content-Type says JSON: send {} or no Content-Type',
      );
    case 'FST_ERR_BAD_URL':
      return new HubError(
        'invalid_input',
        'The URL path is not valid: a segment has bad percent-encoding or is longer than 100 characters',
      );
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new HubError('invalid_input', 'Content-Length does not match the body');
  }
  if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return new HubError('invalid_input', `The request body is not valid JSON: ${err.message}`);
  }
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return new HubError('invalid_input', err.message);
  }
  return toHubError(err);
}

/**
 * A WebSocket upgrade refused before @fastify/websocket's own hooks ran (bad URL, origin refused) is
 * answered over HTTP, but nothing would ever close its socket: it would leak and hold up shutdown.
 */
function closeRefusedUpgrade(req: FastifyRequest, reply: FastifyReply): void {
  if (!req.headers.upgrade) return;
  reply.raw.once('finish', () => req.raw.socket?.destroy());
}

/**
 * hostAllowed per Host header, remembered: clients send the same few Host values on every request,
 * and parsing one as a URL was a measurable part of each. Bounded (a client may send any Host); a
 * change of http.allowedOrigins (a new array) starts afresh.
 */
function hostMemo(config: HttpDeps['config']): { allowed(host: string | undefined): boolean } {
  const seen = new Map<string, boolean>();
  let origins = config.http.allowedOrigins;
  return {
    allowed(host) {
      if (host === undefined) return hostAllowed(config.host, host, config.http.allowedOrigins);
      if (origins !== config.http.allowedOrigins) {
        origins = config.http.allowedOrigins;
        seen.clear();
      }
      let ok = seen.get(host);
      if (ok === undefined) {
        ok = hostAllowed(config.host, host, origins);
        if (seen.size >= 64) seen.clear();
        seen.set(host, ok);
      }
      return ok;
    },
  };
}

export interface HttpServer {
  app: FastifyInstance;
  context: HttpContext;
}

export async function buildHttpServer(
  deps: HttpDeps,
  opts: {
    version: string;
    selfOrigins: () => string[];
    mountExtra?: (app: FastifyInstance, ctx: HttpContext) => void | Promise<void>;
  },
): Promise<HttpServer> {
  const context = createHttpContext(deps);
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'req_id' }),
    bodyLimit: deps.config.http.bodyLimitBytes,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : newId('req');
    },
    forceCloseConnections: true,
    return503OnClosing: true,
    // Errors Fastify raises before routing (a bad percent-encoding in the URL) get the hub's error shape too.
    frameworkErrors: (err, req, reply) => {
      closeRefusedUpgrade(req, reply);
      sendError(reply, fromFastifyError(err));
    },
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const hubError = err instanceof HubError ? err : fromFastifyError(err);
    if (hubError.code === 'internal') req.log.error({ err }, 'request failed');
    return sendError(reply, hubError);
  });
  app.setNotFoundHandler((req, reply) =>
    sendError(
      reply,
      new HubError(
        'not_found',
        `No route ${req.method} ${req.url.split('?')[0]}; /openapi.json lists the API`,
      ),
    ),
  );

  const hostChecks = hostMemo(deps.config);
  // Hooks in callback style: an async hook costs a promise and its ticks on every request.
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    // /mcp runs the same Host check itself and answers in its own protocol's shape.
    if (!req.url.startsWith('/mcp') && !hostChecks.allowed(req.headers.host)) {
      req.log.warn({ host: req.headers.host, url: req.url }, 'host refused');
      closeRefusedUpgrade(req, reply);
      // Answered here: done() is not called, so the request goes no further.
      sendError(
        reply,
        new HubError(
          'forbidden',
          `Host ${req.headers.host} is not a loopback name; this hub answers only localhost, 127.0.0.1 or [::1] (or hosts in http.allowedOrigins)`,
        ),
      );
      return;
    }
    const origin = req.headers.origin;
    if (origin && !originAllowed(origin, [...deps.config.http.allowedOrigins, ...opts.selfOrigins()])) {
      req.log.warn({ origin, url: req.url }, 'origin refused');
      closeRefusedUpgrade(req, reply);
      sendError(
        reply,
        new HubError(
          'forbidden',
          `Origin ${origin} is not allowed; add it to http.allowedOrigins in the config to allow it`,
        ),
      );
      return;
    }
    done();
  });
  // A line per request is for debugging (LOG_LEVEL=debug); at info the log keeps to events that matter.
  app.addHook('onResponse', (req, reply, done) => {
    const failed = reply.statusCode >= 500;
    if (failed || (req.log as Logger).isLevelEnabled('debug')) {
      const line = {
        method: req.method,
        url: req.url.split('?')[0],
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      };
      if (failed) req.log.warn(line, 'request');
      else req.log.debug(line, 'request');
    }
    done();
  });

  // A WebSocket frame over http.bodyLimitBytes is read and refused with a clear error (ws.ts); one over
  // twice that is not read at all: the connection is closed with 1009 (message too big).
  await app.register(websocket, { options: { maxPayload: 2 * deps.config.http.bodyLimitBytes } });

  // Public: the store kind, this node and the live nodes (ids, URLs, times; never the database URL).
  // A node whose database does not answer is not healthy: 503, so a load balancer moves on.
  app.get('/health', async (_req, reply) => {
    const { nodes } = deps.services.info;
    const base = {
      version: opts.version,
      uptime_seconds: Math.round(process.uptime()),
      started_at: deps.services.info.startedAt,
      store: nodes.store,
      node_id: nodes.id,
    };
    try {
      return { status: 'ok', ...base, nodes: (await nodes.list()).map(summarizeNode) };
    } catch {
      reply.code(503);
      return { status: 'unavailable', ...base, reason: 'the database does not answer' };
    }
  });

  app.get('/metrics', async (_req, reply) => {
    const counts = await deps.services.agents.counts();
    for (const [status, n] of Object.entries(counts)) deps.metrics.agents.set({ status }, n);
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });

  const openapi = buildOpenApi(deps.invoker.ops.values(), opts.version);
  app.get('/openapi.json', async () => openapi);

  mountRest(app, context);
  mountOrchestratorCompat(app, context);
  mountWebSocket(app, context);
  mountSse(app, context);
  mountUi(app);
  if (opts.mountExtra) await opts.mountExtra(app, context);
  return { app, context };
}
