/**
 * Downstream prompts and resources on the hub's own MCP server. Prompts are served entirely here
 * (the hub has none of its own): `prompts/list` lists every downstream prompt as `<server>__<prompt>`
 * (unprefixed for the passthrough server), `prompts/get` is proxied. For resources the SDK's handlers
 * for the hub's own resources stay in charge and downstream ones are merged in: `resources/list` and
 * `resources/templates/list` append them (`<server>+<uri>`), `resources/read` of a downstream URI is
 * proxied, any other URI goes to the hub's handler. A hub resource URI always wins a clash.
 */
import type { Resource, ResourceTemplateType } from '@modelcontextprotocol/client';
import {
  type McpServer,
  ProtocolError,
  ProtocolErrorCode,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { HttpDeps } from '../http/context.js';
import { failureOf } from './results.js';
import { installedHandler } from './sdk-handlers.js';

const HUB_URI = 'switchboard://';

function protocolError(err: unknown): ProtocolError {
  if (err instanceof ProtocolError) return err;
  // A downstream server's JSON-RPC error (the client SDK's ProtocolError): passed on as it is.
  const raw = (err ?? {}) as { code?: unknown; message?: unknown; data?: unknown };
  if (typeof raw.code === 'number' && typeof raw.message === 'string')
    return new ProtocolError(raw.code, raw.message, raw.data);
  const f = failureOf(err);
  const code = f.code === 'not_found' ? ProtocolErrorCode.ResourceNotFound : ProtocolErrorCode.InvalidParams;
  return new ProtocolError(code, `${f.code}: ${f.message}`, {
    code: f.code,
    ...(f.details !== undefined ? { details: f.details } : {}),
  });
}

export interface CatalogCallContext {
  /** Throws when this caller may not use downstream servers. */
  authorize(ctx: ServerContext): string;
  correlationId(ctx: ServerContext): string | undefined;
}

export function attachGatewayCatalog(server: McpServer, hub: HttpDeps, call: CatalogCallContext): void {
  const gateway = hub.services.gateway;
  const withCorrelation = (ctx: ServerContext) => {
    const correlationId = call.correlationId(ctx);
    return correlationId ? { correlationId } : {};
  };

  server.server.setRequestHandler('prompts/list', () => ({
    prompts: gateway.prompts().map((p) => ({
      ...p.prompt,
      name: p.name,
      description: `[${p.server}] ${p.prompt.description ?? p.prompt.name}`,
    })),
  }));
  server.server.setRequestHandler('prompts/get', async (request, ctx) => {
    try {
      call.authorize(ctx);
      return await gateway.getPrompt(request.params.name, request.params.arguments, withCorrelation(ctx));
    } catch (err) {
      throw protocolError(err);
    }
  });

  const listResources = installedHandler(server, 'resources/list');
  const listTemplates = installedHandler(server, 'resources/templates/list');
  const readResource = installedHandler(server, 'resources/read');
  server.server.setRequestHandler('resources/list', async (request, ctx) => {
    const own = (await listResources(request, ctx)) as { resources: Resource[] };
    const taken = new Set(own.resources.map((r) => r.uri));
    const downstream = gateway
      .resources()
      .filter((r) => !taken.has(r.uri) && !r.uri.startsWith(HUB_URI))
      .map((r) => ({ ...r.resource, uri: r.uri }));
    return { ...own, resources: [...own.resources, ...downstream] };
  });
  server.server.setRequestHandler('resources/templates/list', async (request, ctx) => {
    const own = (await listTemplates(request, ctx)) as {
      resourceTemplates: ResourceTemplateType[];
    };
    const taken = new Set(own.resourceTemplates.map((t) => t.uriTemplate));
    const downstream = gateway
      .resourceTemplates()
      .filter((t) => !taken.has(t.uriTemplate) && !t.uriTemplate.startsWith(HUB_URI))
      .map((t) => ({ ...t.template, uriTemplate: t.uriTemplate }));
    return { ...own, resourceTemplates: [...own.resourceTemplates, ...downstream] };
  });
  server.server.setRequestHandler('resources/read', async (request, ctx) => {
    const { uri } = request.params;
    if (uri.startsWith(HUB_URI) || !gateway.resolveUri(uri))
      return (await readResource(request, ctx)) as never;
    try {
      call.authorize(ctx);
      return await gateway.readResource(uri, withCorrelation(ctx));
    } catch (err) {
      throw protocolError(err);
    }
  });
}
