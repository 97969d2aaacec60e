/**
 * The most reliable route through the communication graph: Dijkstra (graphology-shortest-path) on
 * weight −ln(reliability) per edge, so the route found has the highest product of its hops'
 * reliabilities. Edges whose requests all went unanswered (reliability 0) are never used; an edge
 * without requests yet counts as UNKNOWN_RELIABILITY. Among equally reliable routes the one with
 * fewer hops wins (a tiny cost per hop).
 */
import { dijkstra } from 'graphology-shortest-path';
import { HubError } from '../../core/errors.js';
import { type CommGraph, type EdgeFigures, round } from './build.js';

export const UNKNOWN_RELIABILITY = 0.5;
const HOP_COST = 1e-9;

export interface RouteHop {
  from: string;
  to: string;
  messages: number;
  requests: number;
  responses: number;
  acks: number;
  reliability: number | null;
  mean_latency_ms: number | null;
}

export interface Route {
  from: string;
  to: string;
  path: string[];
  hops: RouteHop[];
  /** Product of the hops' reliabilities (unknown ones counted as UNKNOWN_RELIABILITY). */
  reliability: number;
  /** Sum of the hops' mean latencies where known. */
  latency_ms: number | null;
}

export type RouteTarget = { to: string } | { capability: string };

const usable = (a: EdgeFigures) => a.reliability ?? UNKNOWN_RELIABILITY;
const weight = (_e: string, a: EdgeFigures) => {
  const r = usable(a);
  return r > 0 ? -Math.log(r) + HOP_COST : Infinity;
};

/** A view of the graph without the edges a route must not use (reliability 0). */
function routable(g: CommGraph): CommGraph {
  const r = g.copy();
  r.forEachEdge((e, a) => {
    if (usable(a) <= 0) r.dropEdge(e);
  });
  return r;
}

function routeOf(g: CommGraph, path: string[]): Route {
  const hops = path.slice(1).map((to, i) => {
    const a = g.getDirectedEdgeAttributes(path[i]!, to);
    return {
      from: path[i]!,
      to,
      messages: a.messages,
      requests: a.requests,
      responses: a.responses,
      acks: a.acks,
      reliability: a.reliability,
      mean_latency_ms: a.meanLatencyMs,
    };
  });
  const lat = hops.filter((h) => h.mean_latency_ms !== null);
  return {
    from: path[0]!,
    to: path.at(-1)!,
    path,
    hops,
    reliability: round(hops.reduce((p, h) => p * (h.reliability ?? UNKNOWN_RELIABILITY), 1)),
    latency_ms: lat.length
      ? round(
          lat.reduce((s, h) => s + h.mean_latency_ms!, 0),
          1,
        )
      : null,
  };
}

const cost = (path: string[], g: CommGraph) =>
  path.slice(1).reduce((s, to, i) => s + weight('', g.getDirectedEdgeAttributes(path[i]!, to)), 0);

export function findRoute(g: CommGraph, from: string, target: RouteTarget): Route {
  if (!g.hasNode(from)) throw new HubError('not_found', `No agent ${from} in the graph you can see`);
  const r = routable(g);
  if ('to' in target) {
    if (!g.hasNode(target.to))
      throw new HubError('not_found', `No agent ${target.to} in the graph you can see`);
    if (target.to === from)
      throw new HubError('invalid_input', 'from and to are the same agent; name another');
    const path = dijkstra.bidirectional(r, from, target.to, weight);
    if (!path)
      throw new HubError(
        'not_found',
        `No route from ${from} to ${target.to}: no chain of messages links them, except through ` +
          'edges whose requests all went unanswered',
      );
    return routeOf(g, path);
  }
  const holders = g.filterNodes(
    (id, a) => id !== from && a.status !== 'retired' && a.capabilities.includes(target.capability),
  );
  if (holders.length === 0)
    throw new HubError('not_found', `No other agent you can see has the capability ${target.capability}`);
  const paths = dijkstra.singleSource(r, from, weight);
  const best = holders
    .filter((id) => paths[id])
    .map((id) => ({ id, path: paths[id]!, cost: cost(paths[id]!, g) }))
    .sort((a, b) => a.cost - b.cost || a.id.localeCompare(b.id))[0];
  if (!best)
    throw new HubError(
      'not_found',
      `No route from ${from} to any agent with the capability ${target.capability} (${holders.length} ` +
        'have it, none reachable through answered requests)',
    );
  return routeOf(g, best.path);
}
