/** Agents: the list (list_agents), filtered by text, updated live by agent events. */
import { fill, h, time } from '../dom.js';
import { type State, visible } from '../state.js';

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
            { 'data-agent-id': a.agent_id },
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
  );
}
