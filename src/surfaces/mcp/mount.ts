/**
 * Mounts `/mcp` on the hub's Fastify app. The endpoint reads its own bodies (no Fastify parsing). It
 * is built when the app is ready (the services are complete by then) and closed before the server
 * stops, so open streams end cleanly.
 */
import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../http/context.js';
import { McpEndpoint } from './endpoint.js';

export async function mountMcp(app: FastifyInstance, http: HttpContext): Promise<void> {
  let endpoint: McpEndpoint | undefined;
  const ready = () => (endpoint ??= new McpEndpoint(http));
  app.addHook('onReady', async () => {
    ready();
  });
  app.addHook('preClose', async () => {
    await endpoint?.close();
  });
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
    scope.route({
      method: ['GET', 'POST', 'DELETE'],
      url: '/mcp',
      handler: (req, reply) => ready().handle(req, reply),
    });
  });
}
