/**
 * Analytics: charts over a time range (last hour, day or 7 days) — messages by type from
 * analytics_history, sent and received per agent from analytics_usage (with its table), per-call
 * figures from analytics_tools, and a chart for every `series` of any other analytics operation the
 * hub offers (analytics_performance, analytics_engagement, …): the hub's /openapi.json names them —
 * read-only (GET) analytics operations whose answer has a `series` — so new ones appear by themselves.
 */
import type { StreamedEvent } from '../../../src/client/types.js';
import { fill, h } from '../dom.js';
import { changed, type State } from '../state.js';
import { barChart, type Bucket, destroyCharts, findSeries, seriesChart } from './analytics-charts.js';
import './analytics.css';
import type { ViewModule } from './registry.js';

type Range = 'hour' | 'day' | 'week';
const RANGES: Record<Range, { label: string; ms: number; bucket: Bucket }> = {
  hour: { label: 'Last hour', ms: 3_600_000, bucket: 'minute' },
  day: { label: 'Last day', ms: 86_400_000, bucket: 'hour' },
  week: { label: 'Last 7 days', ms: 7 * 86_400_000, bucket: 'hour' },
};

/** Charted by name above; every other analytics operation with a `series` is charted generically. */
const KNOWN = new Set(['analytics_usage', 'analytics_history', 'analytics_tools', 'analytics_insights']);

interface SeriesOp {
  name: string;
  /** Which of `since` and `bucket` its input takes. */
  since: boolean;
  bucket: boolean;
}

type Usage = Awaited<ReturnType<State['client']['analytics_usage']>>;
type History = Awaited<ReturnType<State['client']['analytics_history']>>;
type Tools = Awaited<ReturnType<State['client']['analytics_tools']>>;

interface Loaded {
  range: Range;
  sinceMs: number;
  history?: History;
  usage?: Usage;
  tools?: Tools;
  extra: Array<{ name: string; answer: unknown }>;
  errors: string[];
}

let range: Range = 'hour';
let data: Loaded | undefined;
let reloadTimer: ReturnType<typeof setTimeout> | undefined;
let seriesOps: Promise<SeriesOp[]> | undefined;

/** True when a JSON schema has a property named `series` somewhere (a few levels deep). */
function hasSeries(schema: any, depth = 0): boolean {
  if (!schema || typeof schema !== 'object' || depth > 4) return false;
  const props = schema.properties as Record<string, unknown> | undefined;
  if (props && 'series' in props) return true;
  return Object.values(props ?? {}).some((p) => hasSeries(p, depth + 1));
}

/** The hub's read-only analytics operations (a GET route) whose answer has a `series`, from /openapi.json. */
async function discoverSeriesOps(): Promise<SeriesOp[]> {
  const res = await fetch('/openapi.json');
  const api = (await res.json()) as { paths: Record<string, Record<string, any>> };
  const out: SeriesOp[] = [];
  for (const methods of Object.values(api.paths)) {
    const op = methods.get;
    const name = op?.operationId as string | undefined;
    if (!name || !/^analytics_[a-z0-9_]+$/.test(name) || KNOWN.has(name)) continue;
    if (!hasSeries(op.responses?.['200']?.content?.['application/json']?.schema)) continue;
    const params = new Set(((op.parameters ?? []) as Array<{ name: string }>).map((p) => p.name));
    out.push({ name, since: params.has('since'), bucket: params.has('bucket') });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function load(state: State): Promise<void> {
  const r = RANGES[range];
  const sinceMs = Date.now() - r.ms;
  const since = new Date(sinceMs).toISOString();
  const next: Loaded = { range, sinceMs, extra: [], errors: [] };
  seriesOps ??= discoverSeriesOps().catch(() => []);
  const others = await seriesOps;
  const [history, usage, tools, ...extra] = await Promise.allSettled([
    state.client.analytics_history({ since, bucket: r.bucket, threads_limit: 0 }),
    state.client.analytics_usage({ since }),
    state.client.analytics_tools({ since }),
    ...others.map((op) =>
      state.client.call(op.name, {
        ...(op.since ? { since } : {}),
        ...(op.bucket ? { bucket: r.bucket } : {}),
      }),
    ),
  ]);
  if (history.status === 'fulfilled') next.history = history.value;
  else next.errors.push(`history: ${message(history.reason)}`);
  if (usage.status === 'fulfilled') next.usage = usage.value;
  else next.errors.push(`usage: ${message(usage.reason)}`);
  if (tools.status === 'fulfilled') next.tools = tools.value;
  else next.errors.push(`tools: ${message(tools.reason)}`);
  extra.forEach((x, i) => {
    const name = others[i]!.name;
    if (x.status === 'rejected') next.errors.push(`${name}: ${message(x.reason)}`);
    else next.extra.push({ name, answer: x.value });
  });
  data = next;
  changed('analytics');
}

function picker(state: State): HTMLElement {
  return h(
    'div',
    { class: 'range', 'data-testid': 'range-picker' },
    ...(Object.keys(RANGES) as Range[]).map((key) =>
      h(
        'button',
        {
          class: key === range ? 'active' : undefined,
          'data-range': key,
          onClick: () => {
            range = key;
            void load(state);
          },
        },
        RANGES[key].label,
      ),
    ),
  );
}

function usageTable(usage: Usage): HTMLElement {
  const rows = [...usage.agents].sort((a, b) => b.sent - a.sent || a.agent_id.localeCompare(b.agent_id));
  return h(
    'section',
    { class: 'panel' },
    h('h3', {}, 'Usage per agent'),
    h(
      'table',
      { 'data-testid': 'usage-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...[
            'Agent',
            'Role',
            'Sent',
            'Received',
            'Tasks claimed',
            'Completed',
            'Failed',
            'Tokens',
            'Cost',
          ].map((c) => h('th', {}, c)),
        ),
      ),
      h(
        'tbody',
        {},
        ...rows.map((a) =>
          h(
            'tr',
            { 'data-agent': a.agent_id },
            h('td', {}, a.name && a.name !== a.agent_id ? `${a.name} (${a.agent_id})` : a.agent_id),
            h('td', {}, a.role ?? ''),
            h('td', { class: 'num', 'data-col': 'sent' }, a.sent),
            h('td', { class: 'num', 'data-col': 'received' }, a.received),
            h('td', { class: 'num' }, a.tasks_claimed),
            h('td', { class: 'num' }, a.tasks_completed),
            h('td', { class: 'num' }, a.tasks_failed),
            h('td', { class: 'num' }, a.tokens),
            h('td', { class: 'num' }, `$${a.cost_usd.toFixed(4)}`),
          ),
        ),
      ),
    ),
  );
}

function toolsTable(tools: Tools): HTMLElement {
  const rows = [
    ...tools.tools.map((t) => ({ kind: 'tool', ...t })),
    ...tools.operations.map((t) => ({ kind: 'operation', ...t })),
  ].sort((a, b) => b.calls - a.calls || a.name.localeCompare(b.name));
  const ms = (x: number | null) => (x === null ? '–' : String(x));
  return h(
    'section',
    { class: 'panel' },
    h('h3', {}, 'Calls: hub operations and downstream tools'),
    h(
      'table',
      { 'data-testid': 'tools-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Name', 'Kind', 'Calls', 'Errors', 'Error rate', 'p50 ms', 'p95 ms', 'p99 ms'].map((c) =>
            h('th', {}, c),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        ...rows.map((t) =>
          h(
            'tr',
            { 'data-name': t.name, class: t.error_rate >= 0.25 ? 'failing' : undefined },
            h('td', {}, t.name),
            h('td', {}, t.kind),
            h('td', { class: 'num' }, t.calls),
            h('td', { class: 'num' }, t.errors),
            h('td', { class: 'num' }, `${(t.error_rate * 100).toFixed(1)}%`),
            h('td', { class: 'num' }, ms(t.p50_ms)),
            h('td', { class: 'num' }, ms(t.p95_ms)),
            h('td', { class: 'num' }, ms(t.p99_ms)),
          ),
        ),
      ),
    ),
  );
}

function render(el: HTMLElement, state: State): void {
  destroyCharts();
  const head = h('section', { class: 'panel analytics-head' }, h('h2', {}, 'Analytics'), picker(state));
  if (!data) return fill(el, head, h('p', { class: 'muted' }, 'Loading…'));
  const width = Math.max(320, (el.clientWidth || 1000) - 60);
  const r = RANGES[data.range];
  const parts: HTMLElement[] = [head];
  if (data.errors.length)
    parts.push(h('section', { class: 'panel error' }, ...data.errors.map((e) => h('div', {}, e))));
  if (data.history)
    parts.push(
      seriesChart({
        title: `Messages by type (${data.history.totals.messages} in ${r.label.toLowerCase()}, per ${data.history.bucket})`,
        testid: 'chart-history',
        series: data.history.series,
        nested: 'by_type',
        bucket: data.history.bucket,
        sinceMs: data.sinceMs,
        width,
      }),
    );
  if (data.usage) {
    const agents = [...data.usage.agents].sort((a, b) => a.agent_id.localeCompare(b.agent_id));
    parts.push(
      barChart({
        title: 'Messages per agent',
        testid: 'chart-usage',
        labels: agents.map((a) => a.name ?? a.agent_id),
        bars: [
          { label: 'sent', values: agents.map((a) => a.sent) },
          { label: 'received', values: agents.map((a) => a.received) },
        ],
        width,
      }),
      usageTable(data.usage),
    );
  }
  if (data.tools) parts.push(toolsTable(data.tools));
  for (const { name, answer } of data.extra) {
    for (const found of findSeries(answer)) {
      parts.push(
        seriesChart({
          title: `${name.replace(/^analytics_/, '')}: ${found.path}`,
          testid: `chart-${name}-${found.path}`,
          series: found.series,
          bucket: r.bucket,
          sinceMs: data.sinceMs,
          width,
        }),
      );
    }
  }
  fill(el, ...parts);
}

export const analyticsView: ViewModule = {
  id: 'analytics',
  label: 'Analytics',
  topics: ['analytics'],
  render,
  open: (_el, state) => load(state),
  onEvent(state: State, event: StreamedEvent) {
    // Follow new traffic while the view is shown (at most one reload every 3 s).
    if (document.getElementById('main')?.dataset.view !== 'analytics') return;
    if (!/^(message|task|instance)\./.test(event.type) || reloadTimer) return;
    reloadTimer = setTimeout(() => {
      reloadTimer = undefined;
      void load(state).catch(() => {
        /* the next event tries again */
      });
    }, 3000);
  },
};
