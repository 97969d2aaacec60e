/**
 * The communication graph, built from the rollups: agents are nodes, each sender → recipient pair
 * with traffic is a directed edge carrying its counts. Pure: the service reads the store and hands
 * the figures in.
 *
 * Reliability of an edge a → b: the share of a's requests to b that b answered, responses / requests
 * (capped at 1, since a response may also answer a plain message). The rollups do not count which
 * messages asked for an ack, so acks are shown but not part of it. An edge without requests has no
 * reliability yet (null).
 */
import { DirectedGraph } from 'graphology';
import type { PairRollup } from '../../store/analytics.js';

export interface GraphAgent {
  id: string;
  name: string;
  role: string | null;
  capabilities: string[];
  /** Presence: active, busy, idle, offline or retired. */
  status: string;
  project: string;
  /** Unread, unexpired messages in its inbox now. */
  backlog: number;
  /** Tasks it holds now (claimed, in progress, waiting for input). */
  heldTasks: number;
  sent: number;
  received: number;
  tasksClaimed: number;
  tasksCompleted: number;
  tasksFailed: number;
}

export type PairTotals = Omit<PairRollup, 'minute'>;

/** One edge: the pair's summed rollups, with what is derived from them. */
export type EdgeFigures = Omit<PairRollup, 'minute' | 'project' | 'from' | 'to'> & {
  reliability: number | null;
  meanLatencyMs: number | null;
};

export type CommGraph = DirectedGraph<GraphAgent, EdgeFigures>;

export const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

/** responses / requests, capped at 1; null without requests. */
export function reliabilityOf(p: { requests: number; responses: number }): number | null {
  if (p.requests <= 0) return null;
  return round(Math.min(1, p.responses / p.requests));
}

export function meanLatencyOf(p: { latencyMsSum: number; latencyCount: number }): number | null {
  return p.latencyCount > 0 ? round(p.latencyMsSum / p.latencyCount, 1) : null;
}

/** Nodes for the agents given; an edge per pair whose two ends are among them (self-talk left out). */
export function buildGraph(agents: GraphAgent[], pairs: PairTotals[]): CommGraph {
  const g: CommGraph = new DirectedGraph({ allowSelfLoops: false });
  for (const a of agents) g.addNode(a.id, a);
  for (const p of pairs) {
    if (p.from === p.to || !g.hasNode(p.from) || !g.hasNode(p.to)) continue;
    g.addDirectedEdge(p.from, p.to, {
      messages: p.messages,
      requests: p.requests,
      responses: p.responses,
      acks: p.acks,
      latencyMsSum: p.latencyMsSum,
      latencyCount: p.latencyCount,
      reliability: reliabilityOf(p),
      meanLatencyMs: meanLatencyOf(p),
    });
  }
  return g;
}

/** Messages on every edge that touches the agent, either way. */
export function trafficOf(g: CommGraph, id: string): number {
  let n = 0;
  g.forEachEdge(id, (_e, attrs) => (n += attrs.messages));
  return n;
}

/** Requests the agent was sent and did not answer, over all its in-edges. */
export function unansweredOf(g: CommGraph, id: string): number {
  let n = 0;
  g.forEachInEdge(id, (_e, a) => (n += Math.max(0, a.requests - a.responses)));
  return n;
}
