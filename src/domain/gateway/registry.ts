/**
 * The registry of downstream servers: those of the config file and those added at run time
 * (persisted), each one supervised connection (connection.ts). Their tools and prompts are indexed
 * under the names our clients see whenever the server's lists change, and every change of tools,
 * catalog, resources and health is published as a gateway event.
 */
import type { Prompt, Tool } from '@modelcontextprotocol/client';
import { type ServerSpec, type ServerSpecInput, serverSpecSchema } from '../../config/gateway.js';
import { fromZodError, HubError } from '../../core/errors.js';
import { DownstreamConnection } from './connection.js';
import { nowIso, publish } from './events.js';
import { healthOf } from './health.js';
import { exposedNames, uriOf } from './routing.js';
import { type Entry, gatewayConfig, type GatewayState } from './state.js';
import type { ServerHealthView, ServerSource, ServerView } from '../../core/wire/index.js';
import { healthView, serverView } from './views.js';

/** Connects every enabled server of the config file and the store (once). */
export async function startAll(st: GatewayState): Promise<void> {
  if (st.started) return;
  st.started = true;
  await st.approvals.cancelLeftovers();
  for (const spec of gatewayConfig(st).servers) launch(st, spec, 'config');
  for (const stored of await st.d.store.gateway.listServers()) {
    if (st.entries.has(stored.name)) {
      st.d.logger.warn(
        { server: stored.name },
        'a runtime server has the name of a config-file server; the config wins',
      );
      continue;
    }
    const parsed = serverSpecSchema.safeParse(stored.spec);
    if (!parsed.success) {
      st.d.logger.error({ server: stored.name }, 'stored server spec is no longer valid; skipped');
      continue;
    }
    launch(st, parsed.data, 'runtime');
  }
}

function launch(st: GatewayState, spec: ServerSpec, source: ServerSource): Entry {
  const cfg = gatewayConfig(st);
  const entry: Entry = { source, tools: new Map(), prompts: new Map(), lastSignal: '' } as Entry;
  entry.conn = new DownstreamConnection(spec, {
    restartInitialMs: cfg.restartInitialMs,
    restartMaxMs: cfg.restartMaxMs,
    healthIntervalMs: cfg.healthIntervalSeconds * 1000,
    timers: st.d.timers,
    logger: st.d.logger,
    now: () => st.d.clock.now(),
    onToolsChanged: () => reindexTools(st, entry),
    onStateChanged: () => signalHealth(st, entry),
    onCatalogChanged: () => reindexCatalog(st, entry),
    onResourceUpdated: (uri) => {
      publish(st.d, {
        type: 'gateway.resource_updated',
        at: nowIso(st.d),
        server: spec.name,
        uri: uriOf(st, spec.name, uri),
      });
    },
  });
  st.entries.set(spec.name, entry);
  entry.conn.start();
  return entry;
}

function reindexTools(st: GatewayState, entry: Entry): void {
  const { conn } = entry;
  const byName = new Map(conn.tools.map((t) => [t.name, t]));
  const names = exposedNames(st, conn.spec.name, [...byName.keys()]);
  entry.tools = new Map([...names].map(([exposed, original]) => [exposed, byName.get(original) as Tool]));
  publish(st.d, {
    type: 'gateway.tools_changed',
    at: nowIso(st.d),
    server: conn.spec.name,
    tools: entry.tools.size,
  });
}

function reindexCatalog(st: GatewayState, entry: Entry): void {
  const { conn } = entry;
  const byName = new Map(conn.prompts.map((p) => [p.name, p]));
  const names = exposedNames(st, conn.spec.name, [...byName.keys()]);
  entry.prompts = new Map([...names].map(([exposed, original]) => [exposed, byName.get(original) as Prompt]));
  publish(st.d, {
    type: 'gateway.catalog_changed',
    at: nowIso(st.d),
    server: conn.spec.name,
    prompts: entry.prompts.size,
    resources: conn.resources.length + conn.resourceTemplates.length,
  });
}

/** Publishes gateway.server_health when the server's state, health or breaker state changed. */
export function signalHealth(st: GatewayState, entry: Entry): void {
  const { conn } = entry;
  const health = healthOf(conn);
  const signal = `${conn.state}/${health}/${conn.breaker.state}`;
  if (signal === entry.lastSignal) return;
  entry.lastSignal = signal;
  publish(st.d, {
    type: 'gateway.server_health',
    at: nowIso(st.d),
    server: conn.spec.name,
    state: conn.state,
    health,
    breaker: conn.breaker.state,
  });
}

function entryNamed(st: GatewayState, name: string): Entry {
  const entry = st.entries.get(name);
  if (!entry) throw new HubError('not_found', `No downstream server named ${name}; list_servers shows them`);
  return entry;
}

export function listServers(st: GatewayState): ServerView[] {
  return [...st.entries.values()]
    .map((e) => serverView(e.conn, e.source, [...e.tools.keys()].sort()))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function health(st: GatewayState, name?: string): ServerHealthView[] {
  if (name !== undefined) return [healthView(entryNamed(st, name).conn)];
  return [...st.entries.values()].map((e) => healthView(e.conn)).sort((a, b) => a.name.localeCompare(b.name));
}

const exists = (name: string) =>
  new HubError('conflict', `A downstream server named ${name} exists already; remove_server it first`);

/** Adds a server at run time (persisted) and connects it. */
export async function addServer(
  st: GatewayState,
  input: ServerSpecInput,
  createdBy: string | null,
): Promise<ServerView> {
  const parsed = serverSpecSchema.safeParse(input);
  if (!parsed.success) throw fromZodError(parsed.error, 'add_server');
  const spec = parsed.data;
  if (st.entries.has(spec.name)) throw exists(spec.name);
  const added = await st.d.store.gateway.addServer({
    name: spec.name,
    spec: spec as unknown as Record<string, unknown>,
    createdAt: nowIso(st.d),
    createdBy,
  });
  if (!added || st.entries.has(spec.name)) throw exists(spec.name);
  const entry = launch(st, spec, 'runtime');
  return serverView(entry.conn, 'runtime', []);
}

/** Removes a runtime server: its process is stopped and its tools withdrawn. */
export async function removeServer(st: GatewayState, name: string): Promise<{ removed: string }> {
  const entry = entryNamed(st, name);
  if (entry.source === 'config') {
    throw new HubError(
      'conflict',
      `${name} is defined in the config file (gateway.servers); remove it there, or set enabled: false, and restart the hub`,
    );
  }
  await st.d.store.gateway.removeServer(name);
  st.entries.delete(name);
  st.cache.dropServer(name);
  const had = entry.tools.size;
  const hadCatalog =
    entry.prompts.size + entry.conn.resources.length + entry.conn.resourceTemplates.length > 0;
  await entry.conn.stop();
  if (had) publish(st.d, { type: 'gateway.tools_changed', at: nowIso(st.d), server: name, tools: 0 });
  if (hadCatalog) {
    publish(st.d, {
      type: 'gateway.catalog_changed',
      at: nowIso(st.d),
      server: name,
      prompts: 0,
      resources: 0,
    });
  }
  return { removed: name };
}

/** Stops every connection (child processes end with the hub). */
export async function closeAll(st: GatewayState): Promise<void> {
  await st.approvals.close();
  const all = [...st.entries.values()];
  st.entries.clear();
  await Promise.all(all.map((e) => e.conn.stop()));
}
