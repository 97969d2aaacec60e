/**
 * Graph: the communication graph (get_communication_graph) drawn with sigma.js, edge width by traffic,
 * the detected patterns (detect_patterns) in colour and listed; click a node (or pick it in the list)
 * for its figures. New messages re-fetch the graph (debounced; again while the answer is a cached one).
 * The drawn node ids are on the canvas as `data-nodes` (a JSON array), and each node's place on the
 * canvas on its list entry (`data-x`, `data-y`), for tests and tools.
 */
import type Sigma from 'sigma';
import { fill, h } from '../dom.js';
import { changed, type State } from '../state.js';
import { COLOURS, drawable, drawGraph, type Finding, type GraphData, roleOf } from './graph-draw.js';
import type { ViewModule } from './registry.js';
import './graph.css';

const REFRESH_MS = 500;
const CACHED_RETRY_MS = 1000;
const MAX_RETRIES = 10;

let data: { graph: GraphData; patterns: Finding[] } | undefined;
let error: string | undefined;
let selected: string | undefined;
let renderer: Sigma | undefined;
let drawn: GraphData | undefined;
let root: HTMLElement | undefined;
let timer: ReturnType<typeof setTimeout> | undefined;

async function load(state: State, retries = 0): Promise<void> {
  try {
    const [graph, patterns] = await Promise.all([
      state.client.get_communication_graph({}),
      state.client.detect_patterns({}),
    ]);
    data = { graph, patterns: patterns.patterns };
    error = undefined;
    changed('graph');
    // Events asked for this refresh, but the hub answered from its cache: look again shortly.
    if (retries > 0 && graph.cached && retries <= MAX_RETRIES) schedule(state, CACHED_RETRY_MS, retries + 1);
  } catch (err) {
    error = (err as Error).message;
    changed('graph');
  }
}

function schedule(state: State, ms: number, retries = 1): void {
  clearTimeout(timer);
  timer = setTimeout(() => void load(state, retries), ms);
}

const figure = (label: string, value: string | number) =>
  h('div', {}, h('dt', {}, label), h('dd', {}, String(value)));
const pct = (x: number | null) => (x === null ? '–' : `${Math.round(x * 100)}%`);

function figuresOf(id: string): HTMLElement {
  const n = data?.graph.nodes.find((x) => x.agent_id === id);
  if (!data || !n) return h('p', { class: 'muted' }, 'Click an agent to see its figures.');
  const name = (a: string) => data!.graph.nodes.find((x) => x.agent_id === a)?.name ?? a;
  const edges = data.graph.edges.filter((e) => e.from === id || e.to === id);
  const mine = data.patterns.filter((p) => p.agents.includes(id));
  return h(
    'div',
    { 'data-testid': 'graph-figures', 'data-agent-id': id },
    h('h3', {}, n.name),
    h('p', { class: 'muted' }, `${n.agent_id} · ${n.role ?? 'no role'} · ${n.status} · ${n.project}`),
    h(
      'dl',
      { class: 'graph-figures' },
      figure('Sent', n.sent),
      figure('Received', n.received),
      figure('Unread backlog', n.backlog),
      figure('Tasks held', n.held_tasks),
      figure('Tasks done / failed', `${n.tasks_completed} / ${n.tasks_failed}`),
      figure('Talks with', n.neighbours),
      figure('Capabilities', n.capabilities.join(', ') || '–'),
    ),
    edges.length ? h('h4', {}, 'Edges') : null,
    edges.length
      ? h(
          'ul',
          { class: 'graph-edges' },
          ...edges.map((e) =>
            h(
              'li',
              {},
              `${name(e.from)} → ${name(e.to)}: ${e.messages} msg, ${e.requests} req, ${e.responses} answered, ` +
                `reliability ${pct(e.reliability)}` +
                (e.mean_latency_ms === null ? '' : `, ${e.mean_latency_ms} ms`),
            ),
          ),
        )
      : null,
    mine.length ? h('h4', {}, 'Patterns') : null,
    ...mine.map((p) => h('p', { class: `graph-pattern ${p.kind}` }, p.summary)),
  );
}

function pick(id: string): void {
  selected = id;
  changed('graph');
}

function skeleton(): HTMLElement {
  const legend = (['hub', 'bottleneck', 'pipeline', 'isolated', 'agent'] as const).map((k) => {
    const swatch = h('span', { class: 'swatch' });
    swatch.style.background = COLOURS[k];
    return h('span', { class: 'legend-item' }, swatch, k === 'agent' ? 'other agents' : k);
  });
  return h(
    'div',
    { 'data-role': 'graph-view' },
    h(
      'section',
      { class: 'panel graph-head' },
      h('h2', {}, 'Communication graph'),
      h('p', { class: 'muted', 'data-role': 'summary' }, 'Loading…'),
      h('div', { class: 'legend' }, ...legend),
    ),
    h(
      'div',
      { class: 'graph-body' },
      h('div', { class: 'graph-canvas panel', 'data-testid': 'graph-canvas' }),
      h('aside', { class: 'graph-side panel', 'data-role': 'figures' }),
    ),
    h(
      'div',
      { class: 'graph-lists' },
      h(
        'section',
        { class: 'panel' },
        h('h3', {}, 'Patterns'),
        h('ul', { class: 'graph-patterns', 'data-testid': 'graph-patterns' }),
      ),
      h(
        'section',
        { class: 'panel' },
        h('h3', {}, 'Agents'),
        h('ul', { class: 'graph-nodes', 'data-testid': 'graph-nodes' }),
      ),
    ),
  );
}

function render(el: HTMLElement): void {
  if (!root || !el.contains(root)) {
    renderer?.kill();
    renderer = undefined;
    drawn = undefined;
    root = skeleton();
    fill(el, root);
  }
  const summary = root.querySelector<HTMLElement>('[data-role=summary]')!;
  if (!data) {
    summary.textContent = error ? `Cannot load the graph: ${error}` : 'Loading…';
    return;
  }
  const { agents, edges, messages } = data.graph.totals;
  summary.textContent =
    `${agents} agents, ${edges} edges, ${messages} messages · edge width by traffic` +
    (error ? ` · last refresh failed: ${error}` : '');
  const canvas = root.querySelector<HTMLElement>('[data-testid=graph-canvas]')!;
  if (drawn !== data.graph) {
    renderer?.kill();
    renderer = drawGraph(canvas, drawable(data.graph, data.patterns), pick);
    renderer.on('afterRender', markPositions);
    drawn = data.graph;
    canvas.dataset.nodes = JSON.stringify(data.graph.nodes.map((n) => n.agent_id).sort());
  }
  fill(
    root.querySelector('[data-testid=graph-patterns]')!,
    ...(data.patterns.length
      ? data.patterns.map((p) =>
          h('li', { class: `graph-pattern ${p.kind}`, 'data-kind': p.kind }, p.summary),
        )
      : [h('li', { class: 'muted' }, 'No patterns found.')]),
  );
  const patterns = data.patterns;
  fill(
    root.querySelector('[data-testid=graph-nodes]')!,
    ...[...data.graph.nodes]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((n) => {
        const dot = h('span', { class: 'swatch' });
        dot.style.background = COLOURS[roleOf(n.agent_id, patterns)];
        return h(
          'li',
          {},
          h(
            'button',
            {
              class: n.agent_id === selected ? 'node selected' : 'node',
              'data-agent-id': n.agent_id,
              onClick: () => pick(n.agent_id),
            },
            dot,
            `${n.name} `,
            h('span', { class: 'muted' }, `${n.traffic} msg`),
          ),
        );
      }),
  );
  fill(root.querySelector('[data-role=figures]')!, figuresOf(selected ?? ''));
  markPositions();
}

let marking = false;
/** Where each node is drawn (pixels from the canvas' top left), on its list entry: `data-x`, `data-y`. */
function markPositions(): void {
  if (marking) return;
  marking = true;
  requestAnimationFrame(() => {
    marking = false;
    if (!renderer || !root) return;
    const g = renderer.getGraph();
    for (const b of root.querySelectorAll<HTMLElement>('[data-testid=graph-nodes] button[data-agent-id]')) {
      const id = b.dataset.agentId!;
      if (!g.hasNode(id)) continue;
      const p = renderer.graphToViewport({ x: g.getNodeAttribute(id, 'x'), y: g.getNodeAttribute(id, 'y') });
      b.dataset.x = String(Math.round(p.x));
      b.dataset.y = String(Math.round(p.y));
    }
  });
}

export const graphView: ViewModule = {
  id: 'graph',
  label: 'Graph',
  topics: ['graph'],
  render,
  open(_el, state) {
    return load(state);
  },
  onEvent(state, event) {
    if (!data || !root?.isConnected) return; // not shown: the next open loads afresh
    if (event.type === 'message.sent' || event.type === 'agent.registered') schedule(state, REFRESH_MS);
  },
};
