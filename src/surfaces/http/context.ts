/** What the HTTP-based surfaces share: how a request becomes an OpContext. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Bus } from '../../bus/bus.js';
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../core/logger.js';
import type { Services } from '../../domain/index.js';
import type { Metrics } from '../../observability/metrics.js';
import type { Invoker } from '../../ops/invoke.js';
import type { OpContext, Surface } from '../../ops/types.js';
import { bearerFrom, identify } from './auth.js';

export interface HttpDeps {
  config: Config;
  adminToken: string;
  services: Services;
  invoker: Invoker;
  metrics: Metrics;
  logger: Logger;
  bus: Bus;
  /** Live connection counts by kind (hub_status), kept by the surfaces that hold the connections. */
  live: Map<string, number>;
}

export interface HttpContext extends HttpDeps {
  /** Builds the context of a call from a request: identity from its headers, abort when the client leaves. */
  contextFor(req: FastifyRequest, surface: Surface, reply?: FastifyReply): Promise<OpContext>;
}

/**
 * The call's abort signal, made only if the operation asks for it (most never do), and aborted only
 * when the client leaves before its answer was written: a reply's socket also closes after every
 * finished response, and an abort then (a DOMException with a stack trace each time) was a measurable
 * part of every REST call.
 */
export function signalFor(reply: FastifyReply | undefined): () => AbortSignal | undefined {
  if (!reply) return () => undefined;
  const res = reply.raw;
  let controller: AbortController | undefined;
  let left = false;
  res.once('close', () => {
    if (res.writableFinished) return;
    left = true;
    controller?.abort();
  });
  return () => {
    if (!controller) {
      controller = new AbortController();
      if (left) controller.abort();
    }
    return controller.signal;
  };
}

export function createHttpContext(deps: HttpDeps): HttpContext {
  return {
    ...deps,
    async contextFor(req, surface, reply) {
      const token = bearerFrom(req.headers.authorization);
      const { caller } = await identify(deps.services, deps.adminToken, token, req.raw.socket);
      const signal = signalFor(reply);
      return {
        caller,
        services: deps.services,
        requestId: String(req.id),
        logger: req.log,
        surface,
        bearerToken: token,
        get signal() {
          return signal();
        },
      };
    },
  };
}
