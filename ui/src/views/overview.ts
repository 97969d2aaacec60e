/**
 * Overview: agents by presence and the hub's counts (hub_status), messages per second over the last
 * five minutes (analytics_history per minute), open tasks (list_tasks by status), running instances (list_instances),
 * spend today (analytics_usage since local midnight), downstream servers' health (server_health, admin)
 * and the latest insights (analytics_insights, top 5). Kept live: events reload what they touch.
 */
import type { StreamedEvent } from '../../../src/client/types.js';
import { fill, h } from '../dom.js';
import { type State, visible } from '../state.js';
import './analytics.css';
import type { ViewModule } from './registry.js';

type Insights = Awaited<ReturnType<State['client']['analytics_insights']>>;
type Health = Awaited<ReturnType<State['client']['server_health']>>['servers'];

const RATE_MINUTES = 5;
const OPEN_STATUSES = ['open', 'claimed', 'in_progress', 'input_required'] as const;
const RUNNING = new Set(['starting', 'idle', 'busy', 'stuck']);

interface OverviewData {
  /** Messages per second over the last RATE_MINUTES (whole minutes, the current one included). */
  rate?: number;
  tasks?: Record<string, number>;
  instances?: number;
  spendToday?: number;
  servers?: Health;
  insights?: Insights;
  errors: Record<string, string>;
}

const data: OverviewData = { errors: {} };
let reloadTimer: ReturnType<typeof setTimeout> | undefined;
let tick: ReturnType<typeof setInterval> | undefined;

const shown = () => document.getElementById('main')?.dataset.view === 'overview';
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

function midnight(): string {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.toISOString();
}

async function attempt(key: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
    delete data.errors[key];
  } catch (err) {
    data.errors[key] = message(err);
  }
}

async function load(state: State): Promise<void> {
  const c = state.client;
  await Promise.all([
    attempt('tasks', async () => {
      const { tasks } = await c.list_tasks({ status: [...OPEN_STATUSES], limit: 1000 });
      const counts: Record<string, number> = {};
      for (const t of tasks) counts[t.status] = (counts[t.status] ?? 0) + 1;
      data.tasks = counts;
    }),
    attempt('instances', async () => {
      const { instances } = await c.list_instances({});
      data.instances = instances.filter((i) => RUNNING.has(i.status)).length;
    }),
    attempt('rate', async () => {
      const start = Math.floor(Date.now() / 60_000) * 60_000 - (RATE_MINUTES - 1) * 60_000;
      const h = await c.analytics_history({
        since: new Date(start).toISOString(),
        bucket: 'minute',
        threads_limit: 0,
      });
      data.rate = h.totals.messages / Math.max(1, (Date.now() - start) / 1000);
    }),
    attempt('spend', async () => {
      data.spendToday = (await c.analytics_usage({ since: midnight() })).totals.cost_usd;
    }),
    attempt('insights', async () => {
      data.insights = await c.analytics_insights({ limit: 5 });
    }),
    state.identity.kind === 'admin'
      ? attempt('servers', async () => {
          data.servers = (await c.server_health({})).servers;
        })
      : Promise.resolve(),
  ]);
  if (shown()) renderOverview(document.getElementById('main')!, state);
}

function scheduleLoad(state: State, ms: number): void {
  if (reloadTimer) return;
  reloadTimer = setTimeout(() => {
    reloadTimer = undefined;
    if (shown()) void load(state);
  }, ms);
}

const card = (label: string, n: number | string, id: string, note?: string) =>
  h(
    'div',
    { class: 'card', 'data-testid': id },
    h('div', { class: 'n' }, n),
    h('div', { class: 'muted' }, label),
    note ? h('div', { class: 'meta' }, note) : null,
  );

function insightList(): HTMLElement {
  const i = data.insights;
  if (!i) return h('p', { class: 'muted' }, data.errors.insights ?? 'Loading…');
  if (i.findings.length === 0)
    return h(
      'p',
      { class: 'muted', 'data-testid': 'insights-none' },
      'Nothing to act on in the last 24 hours.',
    );
  return h(
    'ul',
    { class: 'insights', 'data-testid': 'insights-list' },
    ...i.findings.map((f) =>
      h(
        'li',
        { 'data-kind': f.kind, title: f.action },
        h('span', { class: `severity ${f.severity}` }, f.severity),
        f.title,
      ),
    ),
  );
}

function serverHealth(state: State): HTMLElement {
  if (state.identity.kind !== 'admin')
    return h('p', { class: 'muted' }, 'The admin sees downstream servers.');
  if (!data.servers) return h('p', { class: 'muted' }, data.errors.servers ?? 'Loading…');
  if (data.servers.length === 0) return h('p', { class: 'muted' }, 'No downstream servers configured.');
  return h(
    'div',
    {},
    ...data.servers.map((s) =>
      h(
        'span',
        {
          class: `health ${s.health}`,
          'data-server': s.name,
          title: `${s.state}, breaker ${s.breaker.state}`,
        },
        `${s.name}: ${s.health}`,
      ),
    ),
  );
}

export function renderOverview(el: HTMLElement, state: State): void {
  const s = state.status;
  // The admin: the hub's own counts; an agent: the agents of its project.
  const byStatus = new Map<string, number>(
    state.identity.kind === 'admin' ? Object.entries(s?.agents ?? {}) : [],
  );
  if (state.identity.kind === 'agent') {
    for (const agent of state.agents.values()) {
      if (!visible(state, agent)) continue;
      byStatus.set(agent.status, (byStatus.get(agent.status) ?? 0) + 1);
    }
  }
  const presence = ['active', 'busy', 'idle', 'offline'].map((status) =>
    card(`agents ${status}`, byStatus.get(status) ?? 0, `agents-${status}`),
  );
  const live = s ? Object.values(s.live).reduce((a, b) => a + b, 0) : 0;
  const openTasks = data.tasks ? Object.values(data.tasks).reduce((a, b) => a + b, 0) : '…';
  const taskNote = data.tasks
    ? OPEN_STATUSES.filter((x) => data.tasks![x])
        .map((x) => `${data.tasks![x]} ${x.replace('_', ' ')}`)
        .join(' · ')
    : undefined;
  const counts = data.insights?.counts;
  fill(
    el,
    h(
      'section',
      { class: 'panel' },
      h('h2', {}, 'Agents by presence'),
      h('div', { class: 'cards' }, ...presence),
    ),
    h(
      'section',
      { class: 'panel' },
      h('h2', {}, 'Work'),
      h(
        'div',
        { class: 'cards' },
        card(
          `messages/s (last ${RATE_MINUTES} min)`,
          data.rate === undefined ? '…' : data.rate.toFixed(2),
          'messages-per-second',
        ),
        card('open tasks', openTasks, 'open-tasks', taskNote),
        card('running instances', data.instances ?? '…', 'running-instances'),
        card(
          'spend today',
          data.spendToday === undefined ? '…' : `$${data.spendToday.toFixed(2)}`,
          'spend-today',
        ),
      ),
    ),
    h(
      'section',
      { class: 'panel', 'data-testid': 'insights' },
      h(
        'h2',
        {},
        'Latest insights',
        counts
          ? h(
              'span',
              { class: 'meta' },
              ` · ${counts.critical} critical, ${counts.warning} warning, ${counts.info} info`,
            )
          : null,
      ),
      insightList(),
    ),
    h(
      'section',
      { class: 'panel', 'data-testid': 'servers-health' },
      h('h2', {}, 'Downstream servers'),
      serverHealth(state),
    ),
    h(
      'section',
      { class: 'panel' },
      h('h2', {}, 'Hub'),
      h(
        'div',
        { class: 'cards' },
        card('messages in the feed', state.feed.length, 'feed-count'),
        card('live connections', live, 'live-count'),
        card('version', s?.version ?? '…', 'version'),
        card('up since', s ? new Date(s.started_at).toLocaleTimeString() : '…', 'started'),
      ),
    ),
  );
}

export const overviewView: ViewModule = {
  id: 'overview',
  label: 'Overview',
  topics: ['agents', 'status', 'feed'],
  render: renderOverview,
  open(_el, state) {
    // Figures move with time as well as with events (messages/s decays): reload every 15 s while shown.
    tick ??= setInterval(() => {
      if (shown()) void load(state);
    }, 15_000);
    return load(state);
  },
  onEvent(state: State, event: StreamedEvent) {
    if (!shown()) return;
    if (/^(task|instance|gateway)\./.test(event.type)) scheduleLoad(state, 500);
    else if (event.type === 'message.sent') scheduleLoad(state, 2000);
  },
};
