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

export function createHttpContext(deps: HttpDeps): HttpContext {
  return {
    ...deps,
    async contextFor(req, surface, reply) {
      const token = bearerFrom(req.headers.authorization);
      const { caller } = await identify(deps.services, deps.adminToken, token);
      const controller = new AbortController();
      reply?.raw.once('close', () => controller.abort());
      return {
        caller,
        services: deps.services,
        requestId: String(req.id),
        logger: req.log,
        surface,
        bearerToken: token,
        signal: controller.signal,
      };
    },
  };
}
