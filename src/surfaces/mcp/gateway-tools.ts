/**
 * Downstream tools on the hub's own MCP server: each gateway tool registered as `<server>__<tool>`
 * with the downstream input schema, description and annotations; calls proxied through the gateway
 * service (arguments passed through, results returned as-is, failures as tool errors). `sync()`
 * brings a live server (a 2025-era session) up to date, the SDK then sends tools/list_changed; or a
 * reused 2026-07-28 server, before each request (nothing to do while the gateway's list is the same).
 */
import type {
  McpServer,
  RegisteredTool,
  ServerContext,
  StandardSchemaWithJSON,
} from '@modelcontextprotocol/server';
import type { GatewayTool } from '../../domain/gateway/service.js';
import type { HttpDeps } from '../http/context.js';
import { progressFor } from './progress.js';
import { failureOf, toolError } from './results.js';

type Json = Record<string, unknown>;

/** The downstream JSON Schema as advertised; values pass through untouched (the server validates). */
function passThrough(schema: Json): StandardSchemaWithJSON<Json> {
  const json = () => schema;
  return {
    '~standard': {
      version: 1,
      vendor: 'switchboard-gateway',
      validate: (value: unknown) => ({ value: (value ?? {}) as Json }),
      jsonSchema: { input: json, output: json },
    },
  };
}

export interface GatewayCallContext {
  /** Refuses (throws) when this caller may not use downstream tools; else who the caller is (a caller key). */
  authorize(ctx: ServerContext): string;
  signal(ctx: ServerContext): AbortSignal;
}

const CORRELATION_KEYS = ['io.switchboard/correlation-id', 'correlation_id'];

export function correlationOf(ctx: ServerContext): string | undefined {
  const meta = (ctx.mcpReq as { _meta?: Record<string, unknown> })._meta;
  for (const key of CORRELATION_KEYS) {
    const value = meta?.[key];
    if (typeof value === 'string' && value.length > 0 && value.length <= 200) return value;
  }
  return undefined;
}

interface Prepared {
  server: string;
  /** The definition as JSON: a registered tool whose definition changed is registered again. */
  fingerprint: string;
  config: {
    title?: string;
    description: string;
    inputSchema: StandardSchemaWithJSON<Json>;
    annotations?: GatewayTool['tool']['annotations'];
  };
}

/**
 * What registering a downstream tool takes, computed once per definition (every tools/list of a
 * server brings new objects) and shared by every McpServer (each session's, and the reused 2026-07-28 ones).
 */
const preparedTools = new WeakMap<GatewayTool['tool'], Prepared>();

function prepare(t: GatewayTool): Prepared {
  let p = preparedTools.get(t.tool);
  if (!p || p.server !== t.server) {
    p = {
      server: t.server,
      fingerprint: JSON.stringify(t.tool),
      config: {
        ...(t.tool.title ? { title: t.tool.title } : {}),
        description: `[${t.server}] ${t.tool.description ?? t.tool.name}`,
        inputSchema: passThrough(t.tool.inputSchema as Json),
        ...(t.tool.annotations ? { annotations: t.tool.annotations } : {}),
      },
    };
    preparedTools.set(t.tool, p);
  }
  return p;
}

/** The hub's own tool names (its operations are fixed when it is built). */
const reservedNames = new WeakMap<ReadonlyMap<string, unknown>, ReadonlySet<string>>();

function reservedOf(hub: HttpDeps): ReadonlySet<string> {
  let names = reservedNames.get(hub.invoker.ops);
  if (!names) {
    names = new Set(hub.invoker.ops.keys());
    reservedNames.set(hub.invoker.ops, names);
  }
  return names;
}

export function attachGatewayTools(server: McpServer, hub: HttpDeps, call: GatewayCallContext): () => void {
  const reserved = reservedOf(hub);
  const registered = new Map<string, { tool: RegisteredTool; fingerprint: string }>();
  const shadowed = new Set<string>();

  const register = (t: GatewayTool, prepared: Prepared) => {
    const tool = server.registerTool(t.name, prepared.config, async (args: Json, ctx: ServerContext) => {
      try {
        const requestedBy = call.authorize(ctx);
        const correlationId = correlationOf(ctx);
        const progress = progressFor(ctx);
        return await hub.services.gateway.callTool(t.name, args, {
          signal: call.signal(ctx),
          requestedBy,
          ...(correlationId ? { correlationId } : {}),
          ...(progress
            ? {
                onWaiting: (id: string, seconds: number) =>
                  progress(seconds, undefined, `waiting for approval ${id} (${seconds}s)`),
                onProgress: progress,
              }
            : {}),
        });
      } catch (err) {
        return toolError(failureOf(err));
      }
    });
    registered.set(t.name, { tool, fingerprint: prepared.fingerprint });
  };

  // The gateway's list as of the last sync: its entries are the same objects while nothing changed.
  let synced: readonly GatewayTool[] = [];
  const sync = () => {
    const tools = hub.services.gateway.toolList();
    if (tools === synced) return;
    const same = tools.length === synced.length && tools.every((t, i) => t === synced[i]);
    synced = tools;
    if (same) return;
    const current = new Map<string, GatewayTool>();
    for (const t of tools) {
      if (!reserved.has(t.name)) current.set(t.name, t);
      else if (!shadowed.has(t.name)) {
        // Only possible in passthrough mode (prefixed names contain the separator, hub tools do not).
        shadowed.add(t.name);
        hub.logger.warn(
          { tool: t.name, server: t.server },
          'downstream tool has the name of a hub tool; the hub tool wins and the downstream one is not published',
        );
      }
    }
    for (const [name, r] of registered) {
      const next = current.get(name);
      if (!next || prepare(next).fingerprint !== r.fingerprint) {
        r.tool.remove();
        registered.delete(name);
      }
    }
    for (const [name, t] of current) {
      if (registered.has(name)) continue;
      // One tool the SDK refuses must not keep the others from being published.
      try {
        register(t, prepare(t));
      } catch (err) {
        hub.logger.warn({ tool: name, err: (err as Error).message }, 'downstream tool not published');
      }
    }
  };
  sync();
  return sync;
}
