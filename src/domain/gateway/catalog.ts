/**
 * What the downstream servers offer, as our clients see it: their tools, prompts, resources and
 * resource templates (of connected servers only), and prompts/get and resources/read proxied to the
 * server behind a name, with a correlation id in `_meta`.
 */
import type {
  GetPromptResult,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplateType,
  Tool,
} from '@modelcontextprotocol/client';
import { HubError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { entryForName, readyEntry, resolveUri, uriOf } from './routing.js';
import type { GatewayState } from './state.js';
import { CORRELATION_META_KEY } from './transport.js';

export interface GatewayTool {
  /** The namespaced name our clients see. */
  name: string;
  server: string;
  /** The downstream definition, as the server gave it. */
  tool: Tool;
}

export interface GatewayPrompt {
  /** The name our clients see (`<server>__<prompt>`, or unprefixed for the passthrough server). */
  name: string;
  server: string;
  prompt: Prompt;
}

export interface GatewayResource {
  /** The URI our clients see (`<server>+<uri>`, or the original for the passthrough server). */
  uri: string;
  server: string;
  resource: Resource;
}

export interface GatewayResourceTemplate {
  uriTemplate: string;
  server: string;
  template: ResourceTemplateType;
}

/** Every downstream tool currently available, namespaced, in a stable order. */
export function tools(st: GatewayState): GatewayTool[] {
  return [...toolList(st)];
}

/**
 * tools(), not copied: the same array while the list is the same, a new one when it changed (so a
 * caller tells a change by identity). Asked for on every 2026-07-28 request (its reused MCP server
 * syncs to it): the sorted list is kept while every server's tool map (replaced, never changed, on a
 * new tools/list) and readiness stay. Read only.
 */
export function toolList(st: GatewayState): readonly GatewayTool[] {
  const memo = st.toolsMemo;
  if (memo && memo.maps.length === st.entries.size) {
    let i = 0;
    let same = true;
    for (const e of st.entries.values()) {
      if ((e.conn.state === 'ready' ? e.tools : null) !== memo.maps[i++]) {
        same = false;
        break;
      }
    }
    if (same) return memo.list;
  }
  const maps = [...st.entries.values()].map((e) => (e.conn.state === 'ready' ? e.tools : null));
  const out: GatewayTool[] = [];
  for (const entry of st.entries.values()) {
    if (entry.conn.state !== 'ready') continue;
    for (const [name, tool] of entry.tools) out.push({ name, server: entry.conn.spec.name, tool });
  }
  out.sort((a, b) => a.name.localeCompare(b.name));
  st.toolsMemo = { maps, list: out };
  return out;
}

/** Every downstream prompt currently available, named as our clients see them. */
export function prompts(st: GatewayState): GatewayPrompt[] {
  const out: GatewayPrompt[] = [];
  for (const entry of st.entries.values()) {
    if (entry.conn.state !== 'ready') continue;
    for (const [name, prompt] of entry.prompts) out.push({ name, server: entry.conn.spec.name, prompt });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export function resources(st: GatewayState): GatewayResource[] {
  const out: GatewayResource[] = [];
  for (const entry of st.entries.values()) {
    if (entry.conn.state !== 'ready') continue;
    const server = entry.conn.spec.name;
    for (const r of entry.conn.resources) out.push({ uri: uriOf(st, server, r.uri), server, resource: r });
  }
  return out;
}

export function resourceTemplates(st: GatewayState): GatewayResourceTemplate[] {
  const out: GatewayResourceTemplate[] = [];
  for (const entry of st.entries.values()) {
    if (entry.conn.state !== 'ready') continue;
    const server = entry.conn.spec.name;
    for (const t of entry.conn.resourceTemplates)
      out.push({ uriTemplate: uriOf(st, server, t.uriTemplate), server, template: t });
  }
  return out;
}

export async function getPrompt(
  st: GatewayState,
  name: string,
  args: Record<string, string> | undefined,
  opts: { correlationId?: string },
): Promise<GetPromptResult> {
  const found = entryForName(st, name, (e) => e.prompts);
  const prompt = found?.prompts.get(name);
  if (!found || !prompt) throw new HubError('not_found', `No downstream prompt ${name}`);
  const entry = readyEntry(st, found.conn.spec.name, `prompt ${name}`);
  const correlationId = opts.correlationId ?? newId('corr');
  st.d.logger.info(
    { server: entry.conn.spec.name, prompt: prompt.name, correlation_id: correlationId },
    'downstream prompts/get',
  );
  return entry.conn.getPrompt(prompt.name, args, { [CORRELATION_META_KEY]: correlationId });
}

/** Reads a downstream resource; the contents' URIs come back as our clients see them. */
export async function readResource(
  st: GatewayState,
  uri: string,
  opts: { correlationId?: string },
): Promise<ReadResourceResult> {
  const target = resolveUri(st, uri);
  if (!target) throw new HubError('not_found', `No downstream resource ${uri}`);
  const entry = readyEntry(st, target.server, `resource ${uri}`);
  const correlationId = opts.correlationId ?? newId('corr');
  st.d.logger.info(
    { server: target.server, uri: target.original, correlation_id: correlationId },
    'downstream resources/read',
  );
  const result = await entry.conn.readResource(target.original, { [CORRELATION_META_KEY]: correlationId });
  return {
    ...result,
    contents: result.contents.map((c) => ({ ...c, uri: uriOf(st, target.server, c.uri) })),
  };
}
