/** Builds small graphs for the graph rules' unit tests: agents by id, pairs as compact tuples. */
import { buildGraph, type CommGraph, type GraphAgent, type PairTotals } from './build.js';

export function agent(id: string, extra: Partial<GraphAgent> = {}): GraphAgent {
  return {
    id,
    name: id.toUpperCase(),
    role: null,
    capabilities: [],
    status: 'active',
    project: 'p',
    backlog: 0,
    heldTasks: 0,
    sent: 0,
    received: 0,
    tasksClaimed: 0,
    tasksCompleted: 0,
    tasksFailed: 0,
    ...extra,
  };
}

/** [from, to, messages, requests, responses, latencyMs per response] */
export type PairSpec = [string, string, number, number?, number?, number?];

export function pair([from, to, messages, requests = 0, responses = 0, ms = 10]: PairSpec): PairTotals {
  return {
    project: 'p',
    from,
    to,
    messages,
    requests,
    responses,
    acks: 0,
    latencyMsSum: responses * ms,
    latencyCount: responses,
  };
}

/** A graph of these agents (plain ids or full records) and pairs. */
export function graphOf(agents: Array<string | GraphAgent>, pairs: PairSpec[]): CommGraph {
  return buildGraph(
    agents.map((a) => (typeof a === 'string' ? agent(a) : a)),
    pairs.map(pair),
  );
}
