/**
 * Every catalog operation as an MCP tool: name, description, input schema and hints from the
 * operation. How a call runs (in-process invoker, or REST for the stdio bridge) is the caller's, and
 * so is which tools a connection lists (`listOnly`).
 */
import type {
  ListToolsResult,
  McpServer,
  ServerContext,
  ToolAnnotations,
} from '@modelcontextprotocol/server';
import type { AnyOperation } from '../../ops/types.js';
import { advertisedInput } from './input-schema.js';
import { failureOf, type ToolFailure, toolError, toolResult } from './results.js';
import { installedHandler } from './sdk-handlers.js';

export type ToolCall = (
  op: AnyOperation,
  args: Record<string, unknown>,
  ctx: ServerContext,
) => Promise<unknown>;
/** Extra guidance appended to an error (e.g. how to configure the bearer header on this connection). */
export type ErrorHint = (failure: ToolFailure, ctx: ServerContext) => string | undefined;

/**
 * The summary and the operation's description. No note on who may call it: a connection lists only
 * the tools its caller may call (and the `agent_id` field says the admin names the agent).
 */
export function toolDescription(op: AnyOperation): string {
  return [op.summary.endsWith('.') ? op.summary : `${op.summary}.`, op.description].filter(Boolean).join(' ');
}

export function toolAnnotations(op: AnyOperation): ToolAnnotations {
  const readOnly = op.annotations?.readOnly === true;
  return {
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

/** Decides, per request, which registered tools `tools/list` shows (given a tool's name). */
export type ListFilter = (
  ctx: ServerContext,
) => Promise<(name: string) => boolean> | ((name: string) => boolean);

/**
 * `tools/list` shows only what `filter` lets through; every tool stays registered, so a call to an
 * unlisted tool still gets the hub's own error (how to identify, which profile it is in) rather than
 * the SDK's "tool not found". Call after the first tool is registered (the SDK installs its handler then).
 */
export function listOnly(server: McpServer, filter: ListFilter): void {
  const list = installedHandler(server, 'tools/list');
  server.server.setRequestHandler('tools/list', async (request, ctx) => {
    const [listed, keep] = await Promise.all([list(request, ctx) as Promise<ListToolsResult>, filter(ctx)]);
    return { ...listed, tools: listed.tools.filter((tool) => keep(tool.name)) };
  });
}
