/**
 * What the gateway modules share: the hub's dependencies, one entry per downstream server (its
 * supervised connection, and its tools and prompts under the names our clients see), the result
 * cache, the approvals queue, the resource subscriptions we hold and the call observers. One per hub,
 * owned by the façade (service.ts); the modules beside it (registry, routing, catalog, call-proxy,
 * subscriptions) take it as their first argument.
 */
import type { Prompt, Tool } from '@modelcontextprotocol/client';
import type { DomainDeps } from '../deps.js';
import type { Services } from '../index.js';
import type { ApprovalGate } from './approvals.js';
import { ResultCache } from './cache.js';
import type { GatewayCallRecord } from './call-proxy.js';
import type { GatewayTool } from './catalog.js';
import type { DownstreamConnection } from './connection.js';
import { approvalGate } from './events.js';
import type { ServerSource } from '../../core/wire/index.js';

export interface Entry {
  conn: DownstreamConnection;
  source: ServerSource;
  /** Exposed name → downstream tool. */
  tools: Map<string, Tool>;
  /** Exposed name → downstream prompt. */
  prompts: Map<string, Prompt>;
  /** The last state/health/breaker published for it (a server_health event only on a change). */
  lastSignal: string;
}

export interface GatewayState {
  readonly d: DomainDeps;
  /** The other domains (agents, messages, ...), complete once the hub is built. */
  readonly services: Services;
  /** Server name → its entry, config-file and runtime servers alike. */
  readonly entries: Map<string, Entry>;
  started: boolean;
  readonly approvals: ApprovalGate;
  readonly callObservers: Array<(r: GatewayCallRecord) => void>;
  readonly cache: ResultCache;
  /** Exposed resource URI → how many of our subscribers hold it. */
  readonly resourceHolds: Map<string, number>;
  /** tools() as last computed, and each server's tool map (null: not ready) it was computed from. */
  toolsMemo: { maps: Array<Map<string, Tool> | null>; list: GatewayTool[] } | undefined;
}

export function gatewayState(d: DomainDeps, services: Services): GatewayState {
  return {
    d,
    services,
    entries: new Map(),
    started: false,
    approvals: approvalGate(d, services),
    callObservers: [],
    cache: new ResultCache(() => d.clock.now()),
    resourceHolds: new Map(),
    toolsMemo: undefined,
  };
}

/** The `gateway` section of the hub's config. */
export const gatewayConfig = (st: GatewayState) => st.d.config.gateway;
