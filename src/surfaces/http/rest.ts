/**
 * REST face of the catalog: each operation with an `http` route is mounted there, and every
 * operation is also reachable as `POST /api/v1/ops/<name>` with its input as the JSON body.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HubError } from '../../core/errors.js';
import type { AnyOperation, OpContext } from '../../ops/types.js';
import { coerceQuery } from './coerce.js';
import type { HttpContext } from './context.js';

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new HubError('invalid_input', `The ${what} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

function inputFrom(op: AnyOperation, req: FastifyRequest): Record<string, unknown> {
  const query = coerceQuery(op.input, asObject(req.query, 'query'));
  const params = asObject(req.params, 'path');
  const body =
    req.method === 'GET' || req.method === 'DELETE'
      ? asObject(req.body, 'body')
      : asObject(req.body, 'request body');
  for (const [key, value] of Object.entries(params)) {
    if (key in body && body[key] !== value) {
      throw new HubError(
        'invalid_input',
        `${key} is ${value} in the path but ${String(body[key])} in the body`,
      );
    }
  }
  return { ...query, ...body, ...params };
}

export function mountRest(app: FastifyInstance, http: HttpContext): void {
  const run = async (op: AnyOperation, req: FastifyRequest, reply: FastifyReply, input: unknown) => {
    const ctx: OpContext = await http.contextFor(req, 'rest', reply);
    return http.invoker.invoke(op, ctx, input, req.ip);
  };

  for (const op of http.invoker.ops.values()) {
    if (!op.http) continue;
    const route = op.http;
    app.route({
      method: route.method,
      url: route.path,
      handler: async (req, reply) => {
        const result = await run(op, req, reply, inputFrom(op, req));
        return reply.status(route.status ?? 200).send(result);
      },
    });
  }

  app.post('/api/v1/ops/:name', async (req, reply) => {
    const { name } = req.params as { name: string };
    const op = http.invoker.get(name);
    return reply.send(await run(op, req, reply, asObject(req.body, 'request body')));
  });
}
