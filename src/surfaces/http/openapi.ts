/** `/openapi.json`, generated from the operation catalog. */
import { z } from 'zod';
import type { AnyOperation } from '../../ops/types.js';

const ERROR_RESPONSE = {
  description: 'Error',
  content: {
    'application/json': {
      schema: {
        type: 'object',
        properties: {
          success: { const: false },
          error: {
            type: 'object',
            properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
            required: ['code', 'message'],
          },
        },
      },
    },
  },
};

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  try {
    const { $schema: _s, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
      string,
      unknown
    >;
    return rest;
  } catch {
    return {};
  }
}

function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_]+)/g, '{$1}');
}

export function buildOpenApi(ops: Iterable<AnyOperation>, version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const add = (path: string, method: string, op: AnyOperation, routed: boolean) => {
    const input = jsonSchema(op.input, 'input') as { properties?: Record<string, any>; required?: string[] };
    const pathParams = [...path.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1]);
    const parameters: unknown[] = pathParams.map((name) => ({
      name,
      in: 'path',
      required: true,
      schema: input.properties?.[name] ?? { type: 'string' },
    }));
    const operation: Record<string, unknown> = {
      operationId: routed ? op.name : `${op.name}_rpc`,
      summary: op.summary,
      description: op.description,
      tags: [op.group],
      'x-access': op.access,
      responses: {
        [String(op.http?.status ?? 200)]: {
          description: 'Success',
          content: { 'application/json': { schema: jsonSchema(op.output, 'output') } },
        },
        default: ERROR_RESPONSE,
      },
    };
    if (op.access !== 'public') operation.security = [{ bearer: [] }];
    if (method === 'get' || method === 'delete') {
      for (const [name, schema] of Object.entries(input.properties ?? {})) {
        if (pathParams.includes(name)) continue;
        parameters.push({ name, in: 'query', required: input.required?.includes(name) ?? false, schema });
      }
    } else {
      operation.requestBody = { content: { 'application/json': { schema: input } } };
    }
    if (parameters.length) operation.parameters = parameters;
    const key = openApiPath(path);
    paths[key] = { ...(paths[key] ?? {}), [method]: operation };
  };
  for (const op of ops) {
    if (op.http) add(op.http.path, op.http.method.toLowerCase(), op, true);
    add(`/api/v1/ops/${op.name}`, 'post', op, false);
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Switchboard', version, description: 'Coordination hub for AI agents' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths,
  };
}
