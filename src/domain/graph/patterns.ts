/**
 * Patterns in the communication graph, each with the agents involved and the numbers that show it:
 * - hub: an agent linked with at least 3 others that carries at least half of the messages of its
 *   connected group (hub-and-spoke: the others talk through it, not to each other);
 * - pipeline: a chain a → b → c (→ …) of at least 3 agents along which work is passed on: each link is
 *   the only agent its sender hands work to and the only one its receiver gets work from ("work" =
 *   messages that are not responses);
 * - bottleneck: an agent that work waits on — its waiting (the larger of its unread backlog and the
 *   requests it has not answered) is at least 3 and at least twice the average of the other agents,
 *   or it lies on many shortest paths (betweenness ≥ 0.25, normalised) and has anything waiting;
 * - community: a group of at least 2 agents that talk more among themselves (Louvain, seeded);
 * - isolated: an agent with no traffic at all in the window.
 * Graph algorithms (betweenness, Louvain, reachability) come from graphology's packages.
 */
import { DirectedGraph } from 'graphology';
import louvainModule from 'graphology-communities-louvain';
import betweennessModule from 'graphology-metrics/centrality/betweenness.js';
import { undirectedSingleSourceLength } from 'graphology-shortest-path/unweighted.js';
import { type CommGraph, round, trafficOf, unansweredOf } from './build.js';
import { cjsDefault } from './interop.js';

const louvain = cjsDefault(louvainModule);
const betweennessCentrality = cjsDefault(betweennessModule);

export type PatternKind = 'hub' | 'pipeline' | 'bottleneck' | 'community' | 'isolated';

export interface PatternFinding {
  kind: PatternKind;
  agents: string[];
  figures: Record<string, number>;
  summary: string;
}

export const HUB_MIN_NEIGHBOURS = 3;
export const HUB_MIN_SHARE = 0.5;
export const PIPELINE_MIN_AGENTS = 3;
export const BOTTLENECK_MIN_WAITING = 3;
export const BOTTLENECK_BETWEENNESS = 0.25;

const nameOf = (g: CommGraph, id: string) => g.getNodeAttribute(id, 'name') || id;

/** Every pattern found, in the order hub, pipeline, bottleneck, community, isolated. */
export function detectPatterns(g: CommGraph): PatternFinding[] {
  return [...hubs(g), ...pipelines(g), ...bottlenecks(g), ...communities(g), ...isolated(g)];
}

/** Connected groups (direction ignored), as sets of node ids. */
export function components(g: CommGraph): string[][] {
  const seen = new Set<string>();
  const out: string[][] = [];
  g.forEachNode((id) => {
    if (seen.has(id)) return;
    const group = Object.keys(undirectedSingleSourceLength(g, id));
    for (const n of group) seen.add(n);
    out.push(group);
  });
  return out;
}

export function hubs(g: CommGraph): PatternFinding[] {
  const out: PatternFinding[] = [];
  for (const group of components(g)) {
    if (group.length <= HUB_MIN_NEIGHBOURS) continue;
    let groupMessages = 0;
    for (const id of group) g.forEachOutEdge(id, (_e, a) => (groupMessages += a.messages));
    if (groupMessages === 0) continue;
    for (const id of group) {
      const neighbours = g.neighbors(id).length;
      const messages = trafficOf(g, id);
      const share = messages / groupMessages;
      if (neighbours < HUB_MIN_NEIGHBOURS || share < HUB_MIN_SHARE) continue;
      out.push({
        kind: 'hub',
        agents: [id, ...g.neighbors(id).sort()],
        figures: {
          neighbours,
          messages,
          group_messages: groupMessages,
          traffic_share: round(share),
          degree_share: round(neighbours / (group.length - 1)),
        },
        summary:
          `${nameOf(g, id)} is a hub: linked with ${neighbours} agents, it carries ${messages} of the ` +
          `${groupMessages} messages of its group (${Math.round(share * 100)}%)`,
      });
    }
  }
  return out;
}

/** Work passed on from → to: messages that are not responses to what `to` sent. */
function workGraph(g: CommGraph): DirectedGraph<object, { work: number }> {
  const w = new DirectedGraph<object, { work: number }>({ allowSelfLoops: false });
  g.forEachNode((id) => w.addNode(id));
  g.forEachEdge((_e, a, from, to) => {
    const back = g.hasDirectedEdge(to, from) ? g.getDirectedEdgeAttributes(to, from).responses : 0;
    const work = a.messages - back;
    if (work > 0) w.addDirectedEdge(from, to, { work });
  });
  return w;
}

export function pipelines(g: CommGraph): PatternFinding[] {
  const w = workGraph(g);
  // A link: the sender hands work to this receiver alone, and the receiver gets work from it alone.
  const next = new Map<string, string>();
  const prev = new Map<string, string>();
  w.forEachEdge((_e, _a, from, to) => {
    if (w.outDegree(from) === 1 && w.inDegree(to) === 1) {
      next.set(from, to);
      prev.set(to, from);
    }
  });
  const out: PatternFinding[] = [];
  const used = new Set<string>();
  for (const start of [...next.keys()].sort()) {
    if (prev.has(start) || used.has(start)) continue; // not the head of its chain
    const chain = [start];
    while (next.has(chain.at(-1)!) && !chain.includes(next.get(chain.at(-1)!)!))
      chain.push(next.get(chain.at(-1)!)!);
    for (const id of chain) used.add(id);
    if (chain.length < PIPELINE_MIN_AGENTS) continue;
    const hopWork = chain
      .slice(1)
      .map((to, i) => w.getDirectedEdgeAttribute(chain[i]!, to, 'work') as number);
    out.push({
      kind: 'pipeline',
      agents: chain,
      figures: {
        agents: chain.length,
        hops: chain.length - 1,
        work_messages: hopWork.reduce((x, y) => x + y, 0),
        min_hop_messages: Math.min(...hopWork),
      },
      summary: `Pipeline: ${chain.map((id) => nameOf(g, id)).join(' → ')} pass work along (${hopWork.join(', ')} messages per hop)`,
    });
  }
  return out;
}

export function bottlenecks(g: CommGraph): PatternFinding[] {
  if (g.order === 0) return [];
  const betweenness = betweennessCentrality(g, { normalized: true });
  const rows = g.mapNodes((id, a) => {
    const unanswered = unansweredOf(g, id);
    return { id, backlog: a.backlog, unanswered, waiting: Math.max(a.backlog, unanswered) };
  });
  const total = rows.reduce((s, r) => s + r.waiting, 0);
  const out: PatternFinding[] = [];
  for (const r of rows) {
    const peers = rows.length > 1 ? (total - r.waiting) / (rows.length - 1) : 0;
    const b = betweenness[r.id] ?? 0;
    const piledUp = r.waiting >= BOTTLENECK_MIN_WAITING && r.waiting >= 2 * peers;
    const inTheWay = b >= BOTTLENECK_BETWEENNESS && r.waiting > 0;
    if (!piledUp && !inTheWay) continue;
    out.push({
      kind: 'bottleneck',
      agents: [r.id],
      figures: {
        backlog: r.backlog,
        unanswered_requests: r.unanswered,
        waiting: r.waiting,
        peers_mean_waiting: round(peers),
        betweenness: round(b),
      },
      summary:
        `${nameOf(g, r.id)} is a bottleneck: ${r.backlog} unread, ${r.unanswered} requests unanswered ` +
        `(others: ${round(peers, 2)} waiting on average), betweenness ${round(b, 2)}`,
    });
  }
  return out.sort(
    (a, b) => b.figures.waiting! - a.figures.waiting! || a.agents[0]!.localeCompare(b.agents[0]!),
  );
}

/** A fixed-seed generator, so Louvain gives the same groups for the same graph. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function communities(g: CommGraph): PatternFinding[] {
  if (g.size === 0) return [];
  const talking = g.copy();
  talking.forEachNode((id) => {
    if (talking.degree(id) === 0) talking.dropNode(id);
  });
  const found = louvain.detailed(talking, { getEdgeWeight: 'messages', rng: seeded(42) });
  const groups = new Map<number, string[]>();
  for (const [id, c] of Object.entries(found.communities)) groups.set(c, [...(groups.get(c) ?? []), id]);
  const out: PatternFinding[] = [];
  for (const members of groups.values()) {
    if (members.length < 2) continue;
    members.sort();
    const inside = new Set(members);
    let internal = 0;
    let external = 0;
    for (const id of members)
      g.forEachOutEdge(id, (_e, a, _s, to) =>
        inside.has(to) ? (internal += a.messages) : (external += a.messages),
      );
    out.push({
      kind: 'community',
      agents: members,
      figures: {
        agents: members.length,
        internal_messages: internal,
        external_messages: external,
        modularity: round(found.modularity),
      },
      summary: `Community of ${members.length}: ${members.map((id) => nameOf(g, id)).join(', ')} (${internal} messages among them, ${external} outside)`,
    });
  }
  return out.sort((a, b) => b.agents.length - a.agents.length || a.agents[0]!.localeCompare(b.agents[0]!));
}

export function isolated(g: CommGraph): PatternFinding[] {
  return g
    .filterNodes((id, a) => g.degree(id) === 0 && a.status !== 'retired')
    .sort()
    .map((id) => ({
      kind: 'isolated' as const,
      agents: [id],
      figures: { messages: 0, backlog: g.getNodeAttribute(id, 'backlog') },
      summary: `${nameOf(g, id)} is isolated: no messages sent or received in the window`,
    }));
}
