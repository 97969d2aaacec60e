/**
 * Every catalog operation as an MCP tool: name, description, input schema and hints from the
 * operation. How a call runs (in-process invoker, or REST for the stdio bridge) is the caller's.
 */
import type { McpServer, ServerContext, ToolAnnotations } from '@modelcontextprotocol/server';
import type { AnyOperation } from '../../ops/types.js';
import { advertisedInput } from './input-schema.js';
import { failureOf, type ToolFailure, toolError, toolResult } from './results.js';

export type ToolCall = (
  op: AnyOperation,
  args: Record<string, unknown>,
  ctx: ServerContext,
) => Promise<unknown>;
/** Extra guidance appended to an error (e.g. how to configure the bearer header on this connection). */
export type ErrorHint = (failure: ToolFailure, ctx: ServerContext) => string | undefined;

const ACCESS_NOTE: Record<AnyOperation['access'], string> = {
  public: '',
  agent:
    'Acts as the agent of this connection (its Authorization: Bearer token, or the agent registered in this session).',
  admin: 'Admin only (Authorization: Bearer <admin token>).',
};

export function toolDescription(op: AnyOperation): string {
  return [op.summary.endsWith('.') ? op.summary : `${op.summary}.`, op.description, ACCESS_NOTE[op.access]]
    .filter(Boolean)
    .join(' ');
}

export function toolAnnotations(op: AnyOperation): ToolAnnotations {
  const readOnly = op.annotations?.readOnly === true;
  return {
    title: op.summary,
    readOnlyHint: readOnly,
    destructiveHint: readOnly ? false : op.annotations?.destructive === true,
    idempotentHint: readOnly || op.annotations?.idempotent === true,
    openWorldHint: false,
  };
}

export function registerCatalogTools(
  server: McpServer,
  ops: Iterable<AnyOperation>,
  call: ToolCall,
  hint?: ErrorHint,
): void {
  for (const op of ops) {
    server.registerTool(
      op.name,
      {
        title: op.summary,
        description: toolDescription(op),
        inputSchema: advertisedInput(op.input),
        annotations: toolAnnotations(op),
      },
      async (args, ctx) => {
        try {
          return toolResult(await call(op, args, ctx));
        } catch (err) {
          const failure = failureOf(err);
          return toolError(failure, hint?.(failure, ctx));
        }
      },
    );
  }
}
