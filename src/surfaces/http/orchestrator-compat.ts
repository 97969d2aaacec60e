/**
 * REST compatibility with the seed orchestrator (Claude Orchestrator / Madrox, seeds/004): `/instances`,
 * `/instances/:id`, `/tools` (the orchestration tools) and `/tools/execute` (`{tool, arguments}`), all
 * mapped onto catalog operations, so auth, validation and errors are the catalog's own.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HubError } from '../../core/errors.js';
import type { AnyOperation } from '../../ops/types.js';
import type { HttpContext } from './context.js';
import { z } from 'zod';

/** The seed's tool names that differ from ours. */
const ALIASES: Record<string, { op: string; defaults?: Record<string, unknown> }> = {
  spawn_claude: { op: 'spawn_instance', defaults: { adapter: 'claude-code' } },
  spawn_multiple_instances: { op: 'spawn_team' },
};

export function mountOrchestratorCompat(app: FastifyInstance, http: HttpContext): void {
  const run = async (req: FastifyRequest, op: AnyOperation, input: unknown) => {
    const ctx = await http.contextFor(req, 'rest');
    return http.invoker.invoke(op, ctx, input, req.ip);
  };
  const tools = () => [...http.invoker.ops.values()].filter((op) => op.group === 'instances');

  app.get('/instances', async (req) => run(req, http.invoker.get('list_instances'), {}));
  app.get('/instances/:id', async (req) =>
    run(req, http.invoker.get('get_instance_status'), { instance_id: (req.params as { id: string }).id }),
  );
  app.get('/tools', async () => ({
    tools: tools().map((op) => ({
      name: op.name,
      description: op.summary,
      inputSchema: inputSchema(op.input),
    })),
  }));
  app.post('/tools/execute', async (req) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const name = body.tool ?? body.name ?? body.tool_name;
    if (typeof name !== 'string')
      throw new HubError(
        'invalid_input',
        'tool: give {"tool": "<name>", "arguments": {...}}; GET /tools lists them',
      );
    const args = body.arguments ?? body.args ?? body.parameters ?? {};
    if (typeof args !== 'object' || args === null || Array.isArray(args))
      throw new HubError('invalid_input', 'arguments: must be a JSON object');
    const alias = ALIASES[name];
    const opName = alias?.op ?? name;
    const op = tools().find((o) => o.name === opName);
    if (!op)
      throw new HubError(
        'not_found',
        `tool: no orchestration tool ${JSON.stringify(name)}; GET /tools lists them`,
      );
    const result = await run(req, op, { ...alias?.defaults, ...args });
    return { success: true, tool: op.name, result };
  });
}

function inputSchema(schema: z.ZodType): Record<string, unknown> {
  try {
    const { $schema: _s, ...rest } = z.toJSONSchema(schema, {
      io: 'input',
      unrepresentable: 'any',
    }) as Record<string, unknown>;
    return rest;
  } catch {
    return { type: 'object' };
  }
}
