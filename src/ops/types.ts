/**
 * An operation is everything a user can do, defined once: name, summary, zod input and output,
 * who may call it, an optional REST route, and the handler. Every surface is generated from these.
 */
import type { z } from 'zod';
import type { Caller } from '../core/caller.js';
import type { LogSink } from '../core/logger.js';
import type { Services } from '../domain/index.js';

/** `public`: anyone; `agent`: acting as the caller's own agent (or the admin on its behalf); `admin`. */
export type Access = 'public' | 'agent' | 'admin';

export type Surface = 'rest' | 'mcp' | 'ws' | 'cli' | 'internal';

export interface OpContext {
  caller: Caller;
  services: Services;
  requestId: string;
  logger: LogSink;
  surface: Surface;
  /** The raw bearer token the caller presented, if any (for re-registration). Never echoed. */
  bearerToken?: string;
  /** Aborted when the client goes away. */
  signal?: AbortSignal;
  /** For long calls: report progress (MCP progress notifications). */
  progress?: (progress: number, total?: number, message?: string) => void;
  /** A 2025-era MCP session offers to bind itself to the agent that registers in it. */
  session?: { bind(agentId: string): void };
}

export interface HttpRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Fastify path; `:name` params fill input fields of the same name. */
  path: string;
  /** HTTP status on success (default 200). */
  status?: number;
}

export interface Operation<
  I extends z.ZodObject = z.ZodObject,
  O extends z.ZodType = z.ZodType,
  N extends string = string,
> {
  name: N;
  /** The domain it belongs to (agents, messages, system, ...): groups CLI help and OpenAPI tags. */
  group: string;
  summary: string;
  description?: string;
  access: Access;
  input: I;
  output: O;
  http?: HttpRoute;
  /** Hints for MCP clients. */
  annotations?: { readOnly?: boolean; idempotent?: boolean; destructive?: boolean };
  /** Calls that may block for a long time (waits): surfaces relax their timeouts. */
  blocking?: boolean;
  handler: (ctx: OpContext, input: z.output<I>) => Promise<z.input<O>>;
}

export type AnyOperation = Operation<z.ZodObject, z.ZodType, string>;

export function defineOp<const N extends string, I extends z.ZodObject, O extends z.ZodType>(
  op: Operation<I, O, N>,
): Operation<I, O, N> {
  if (!/^[a-z0-9_]{1,64}$/.test(op.name))
    throw new Error(`operation name ${op.name} breaks ^[a-z0-9_]{1,64}$`);
  return op;
}
