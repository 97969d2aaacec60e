/** Agents: the list (list_agents), filtered by text, updated live by agent events; click one for its detail. */
import type { StreamedEvent } from '../../../src/client/types.js';
import { fill, h, time } from '../dom.js';
import { changed, type State, visible } from '../state.js';
import { closeAgent, loadAgent, openAgent, renderAgentDetail } from './agent-detail.js';
import { coalesce } from './kit.js';

let filter = '';

export function renderAgents(el: HTMLElement, state: State): void {
  const wanted = filter.toLowerCase();
  const agents = [...state.agents.values()]
    .filter((a) => visible(state, a) && a.status !== 'retired')
    .filter(
      (a) =>
        !wanted ||
        [a.agent_id, a.name, a.role ?? '', a.project, ...a.capabilities].some((v) =>
          v.toLowerCase().includes(wanted),
        ),
    )
    .sort((a, b) => a.name.localeCompare(b.name));
  if (!el.querySelector('[data-role=filter]')) {
    const input = h('input', {
      placeholder: 'Filter by name, role, capability, project',
      'aria-label': 'filter agents',
      onInput: (e: Event) => {
        filter = (e.target as HTMLInputElement).value;
        renderAgents(el, state);
      },
    });
    fill(el, h('div', { class: 'panel', 'data-role': 'filter' }, input), h('div', { 'data-role': 'list' }));
  }
  fill(
    el.querySelector('[data-role=list]')!,
    h(
      'table',
      { 'data-testid': 'agents' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Name', 'Id', 'Status', 'Role', 'Capabilities', 'Project', 'Last seen'].map((t) =>
            h('th', {}, t),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        ...agents.map((a) =>
          h(
            'tr',
            {
              'data-agent-id': a.agent_id,
              class: a.agent_id === openAgent() ? 'selected' : undefined,
              onClick: () => void loadAgent(state, a.agent_id, () => changed('agents')),
            },
            h('td', {}, a.name),
            h('td', { class: 'muted' }, a.agent_id),
            h('td', {}, h('span', { class: `status ${a.status}` }, a.status)),
            h('td', {}, a.role ?? ''),
            h('td', {}, a.capabilities.join(', ')),
            h('td', {}, a.project),
            h('td', { class: 'muted' }, time(a.last_heartbeat)),
          ),
        ),
      ),
    ),
    agents.length === 0 ? h('p', { class: 'muted' }, 'No agents yet.') : null,
    renderAgentDetail(state),
  );
}

let reloadState: State | undefined;
/** Cached answers in a row after an event: asked again each second until fresh (at most 30). */
let staleTries = 0;
const reload = coalesce(async () => {
  const id = openAgent();
  if (!id || !reloadState) return;
  const cached = await loadAgent(reloadState, id, () => changed('agents'));
  if (cached && staleTries++ < 30) setTimeout(reload, 1_000);
  else staleTries = 0;
}, 500);

/** The open agent's figures follow what happens to it: messages, tasks, leases, instances naming it. */
export function agentsOnEvent(state: State, event: StreamedEvent): void {
  const id = openAgent();
  if (!id) return;
  if (event.type === 'agent.retired' && event.agent_id === id) {
    closeAgent();
    changed('agents');
    return;
  }
  if (JSON.stringify(event).includes(`"${id}"`)) {
    reloadState = state;
    staleTries = 0;
    reload();
  }
}
