/**
 * Draws the communication graph with sigma.js on a graphology graph: a circular start refined by
 * ForceAtlas2, node size by traffic, edge width by messages, and the detected patterns in colour
 * (hub, bottleneck, pipeline members and links; isolated agents grey).
 */
import { DirectedGraph } from 'graphology';
import { circular } from 'graphology-layout';
import forceAtlas2Module from 'graphology-layout-forceatlas2';
import Sigma from 'sigma';
import { extremityArrow } from 'sigma/rendering';
import type { OpOutput } from '../../../src/client/types.js';

// A CommonJS package typed as `export default`: the function is the module itself once bundled.
const fa2 = forceAtlas2Module as unknown as { default?: typeof forceAtlas2Module.default };
const forceAtlas2 = fa2.default ?? (forceAtlas2Module as unknown as typeof forceAtlas2Module.default);

export type GraphData = OpOutput<'get_communication_graph'>;
export type Finding = OpOutput<'detect_patterns'>['patterns'][number];

export const COLOURS = {
  agent: '#2f5bd3',
  hub: '#d9822b',
  bottleneck: '#d23b3b',
  pipeline: '#1f9d55',
  isolated: '#9aa1ae',
  edge: '#c5cad3',
  selected: '#1d2330',
};

/** The colour a pattern gives an agent (the strongest wins: bottleneck, hub, pipeline, isolated). */
export function roleOf(id: string, findings: Finding[]): keyof typeof COLOURS {
  for (const kind of ['bottleneck', 'hub', 'pipeline', 'isolated'] as const) {
    const hit = findings.some(
      (f) => f.kind === kind && (kind === 'hub' ? f.agents[0] === id : f.agents.includes(id)),
    );
    if (hit) return kind;
  }
  return 'agent';
}

function pipelineLinks(findings: Finding[]): Set<string> {
  const links = new Set<string>();
  for (const f of findings.filter((x) => x.kind === 'pipeline'))
    for (let i = 1; i < f.agents.length; i++) links.add(`${f.agents[i - 1]}\u0000${f.agents[i]}`);
  return links;
}

/** The graphology graph sigma draws, laid out. */
export function drawable(data: GraphData, findings: Finding[]): DirectedGraph {
  const g = new DirectedGraph({ allowSelfLoops: false });
  const maxTraffic = Math.max(1, ...data.nodes.map((n) => n.traffic));
  for (const n of data.nodes)
    g.addNode(n.agent_id, {
      label: n.name,
      size: 6 + 12 * Math.sqrt(n.traffic / maxTraffic),
      color: COLOURS[roleOf(n.agent_id, findings)],
    });
  const links = pipelineLinks(findings);
  const maxMessages = Math.max(1, ...data.edges.map((e) => e.messages));
  for (const e of data.edges)
    g.addDirectedEdge(e.from, e.to, {
      size: 1 + 6 * Math.sqrt(e.messages / maxMessages),
      color: links.has(`${e.from}\u0000${e.to}`) ? COLOURS.pipeline : COLOURS.edge,
    });
  circular.assign(g);
  if (g.size > 0)
    forceAtlas2.assign(g, { iterations: 150, settings: { ...forceAtlas2.inferSettings(g), gravity: 1 } });
  return g;
}

/** A sigma renderer in `container`, telling `onPick` of a clicked node. */
export function drawGraph(container: HTMLElement, g: DirectedGraph, onPick: (id: string) => void): Sigma {
  const renderer = new Sigma(g, container, {
    // Edges end in an arrow: the graph is directed (who sent to whom).
    primitives: { edges: { extremities: [extremityArrow()], defaultHead: 'arrow' } },
    settings: {
      itemSizesReference: 'screen',
      renderEdgeLabels: false,
      labelRenderedSizeThreshold: 0,
      stagePadding: 40,
    },
  });
  renderer.on('clickNode', ({ node }) => onPick(node));
  return renderer;
}
