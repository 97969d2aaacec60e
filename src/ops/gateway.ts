/** Operations of the gateway capability: the downstream MCP servers behind the hub's /mcp endpoint. */
import { z } from 'zod';
import { SERVER_NAME, serverSpecSchema } from '../config/gateway.js';
import { serverHealthView as health, serverView as server } from '../core/wire/index.js';
import { defineOp } from './types.js';

const serverName = z.string().regex(SERVER_NAME, 'name: 1-32 letters, digits and inner hyphens');

export const listServers = defineOp({
  name: 'list_servers',
  group: 'gateway',
  summary: 'List the downstream MCP servers behind the hub, their state and their namespaced tools',
  description:
    'Servers come from the config file (gateway.servers) and from add_server. Env and header values are never shown.',
  access: 'admin',
  http: { method: 'GET', path: '/api/v1/gateway/servers' },
  annotations: { readOnly: true },
  input: z.strictObject({}),
  output: z.object({ servers: z.array(server) }),
  handler: async (ctx) => ({ servers: ctx.services.gateway.listServers() }),
});

export const serverHealth = defineOp({
  name: 'server_health',
  group: 'gateway',
  summary:
    'Health of the downstream MCP servers: healthy, degraded, unhealthy or disabled, with breaker state',
  access: 'admin',
  http: { method: 'GET', path: '/api/v1/gateway/health' },
  annotations: { readOnly: true },
  input: z.strictObject({ name: serverName.optional().describe('One server; all when absent') }),
  output: z.object({ servers: z.array(health) }),
  handler: async (ctx, input) => ({ servers: ctx.services.gateway.health(input.name) }),
});

export const addServer = defineOp({
  name: 'add_server',
  group: 'gateway',
  summary:
    'Add a downstream MCP server at run time (stdio command or HTTP url); persisted and connected at once',
  description:
    'Same fields as an entry of gateway.servers in the config file. Its tools appear as <name>__<tool> once it is connected.',
  access: 'admin',
  http: { method: 'POST', path: '/api/v1/gateway/servers', status: 201 },
  input: serverSpecSchema,
  output: z.object({ server }),
  handler: async (ctx, input) => ({ server: await ctx.services.gateway.addServer(input, ctx.caller.kind) }),
});

export const removeServer = defineOp({
  name: 'remove_server',
  group: 'gateway',
  summary: 'Remove a downstream MCP server added at run time: its process stops and its tools disappear',
  access: 'admin',
  http: { method: 'DELETE', path: '/api/v1/gateway/servers/:name' },
  annotations: { destructive: true, idempotent: false },
  input: z.strictObject({ name: serverName }),
  output: z.object({ removed: z.string() }),
  handler: async (ctx, input) => ctx.services.gateway.removeServer(input.name),
});

export const gatewayOps = [listServers, serverHealth, addServer, removeServer] as const;
