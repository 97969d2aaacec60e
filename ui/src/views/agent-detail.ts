/**
 * One agent, opened from the Agents list: its unread backlog and traffic (analytics_usage), its
 * busiest threads (analytics_history), the tasks assigned to it, the leases it holds and its running
 * instance. Loaded when opened and again when an event names the agent; every op is scoped by the hub,
 * so an agent token sees only its own project's agent here.
 */
import { h, time } from '../dom.js';
import type { State } from '../state.js';
import { count, usd } from './kit.js';

type Detail = {
  agentId: string;
  usage?: { unread: number; sent: number; received: number; cost_usd: number; tokens: number };
  threads: Array<{ thread_id: string; last_minute: string }>;
  tasks: Array<{ task_id: string; title: string; status: string }>;
  leases: Array<{ lease_id: string; mode: string; patterns: string[]; expires_at: string }>;
  instances: Array<{ instance_id: string; status: string; role: string | null }>;
  error?: string;
};

let open: Detail | undefined;

export function openAgent(): string | undefined {
  return open?.agentId;
}

export function closeAgent(): void {
  open = undefined;
}

/**
 * Loads one agent's figures; `done` re-renders. Errors are shown in the panel. Answers true when the
 * figures came from the analytics cache (analytics.cacheSeconds), so a caller following events knows
 * to ask again once it has expired.
 */
export async function loadAgent(state: State, agentId: string, done: () => void): Promise<boolean> {
  let cached = false;
  const detail: Detail = { agentId, threads: [], tasks: [], leases: [], instances: [] };
  open = detail;
  done();
  try {
    const [usage, history, tasks, leases, instances] = await Promise.all([
      state.client.analytics_usage({ agent_id: agentId }),
      state.client.analytics_history({ agent_id: agentId, bucket: 'day', threads_limit: 10 }),
      state.client.list_tasks({ assignee: agentId, limit: 50 }),
      state.client.list_leases({ holder: agentId }),
      state.client.list_instances({}),
    ]);
    if (open !== detail) return false;
    cached = usage.cached || history.cached;
    const me = usage.agents.find((a) => a.agent_id === agentId);
    if (me) detail.usage = me;
    detail.threads = history.threads;
    detail.tasks = tasks.tasks;
    detail.leases = leases.leases;
    detail.instances = instances.instances.filter((i) => i.agent_id === agentId);
  } catch (err) {
    detail.error = (err as Error).message;
  }
  if (open === detail) done();
  return cached;
}

export function renderAgentDetail(state: State): HTMLElement | null {
  if (!open) return null;
  const d = open;
  const agent = state.agents.get(d.agentId);
  const u = d.usage;
  const fact = (label: string, value: string, id: string) =>
    h(
      'div',
      { class: 'card', 'data-testid': id },
      h('div', { class: 'n' }, value),
      h('div', { class: 'muted' }, label),
    );
  return h(
    'section',
    { class: 'panel', 'data-testid': 'agent-detail', 'data-agent-id': d.agentId },
    h('h2', {}, agent ? `${agent.name} (${d.agentId})` : d.agentId),
    d.error ? h('p', { class: 'error' }, d.error) : null,
    h(
      'div',
      { class: 'cards' },
      fact('unread backlog', u ? count(u.unread) : '…', 'agent-unread'),
      fact('sent', u ? count(u.sent) : '…', 'agent-sent'),
      fact('received', u ? count(u.received) : '…', 'agent-received'),
      fact('spent', u ? usd(u.cost_usd) : '…', 'agent-cost'),
    ),
    h('h3', {}, 'Threads'),
    list(
      'agent-threads',
      d.threads.map((t) => `${t.thread_id} · last active ${time(t.last_minute)}`),
      'No threads.',
    ),
    h('h3', {}, 'Tasks assigned'),
    list(
      'agent-tasks',
      d.tasks.map((t) => `${t.title} · ${t.status}`),
      'No tasks.',
    ),
    h('h3', {}, 'Leases held'),
    list(
      'agent-leases',
      d.leases.map((l) => `${l.patterns.join(', ')} · ${l.mode} · until ${time(l.expires_at)}`),
      'No leases.',
    ),
    h('h3', {}, 'Instance'),
    list(
      'agent-instances',
      d.instances.map((i) => `${i.instance_id} · ${i.role ?? 'no role'} · ${i.status}`),
      'No instance.',
    ),
  );
}

function list(id: string, items: string[], empty: string): HTMLElement {
  return items.length === 0
    ? h('p', { class: 'muted', 'data-testid': id }, empty)
    : h('ul', { 'data-testid': id }, ...items.map((text) => h('li', {}, text)));
}
