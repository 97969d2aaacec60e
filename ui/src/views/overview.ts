/** Overview: agents by presence and the hub's counts (hub_status), kept live. */
import { fill, h } from '../dom.js';
import { type State, visible } from '../state.js';

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
  const card = (label: string, n: number | string, id: string) =>
    h(
      'div',
      { class: 'card', 'data-testid': id },
      h('div', { class: 'n' }, n),
      h('div', { class: 'muted' }, label),
    );
  const presence = ['active', 'busy', 'idle', 'offline'].map((status) =>
    card(`agents ${status}`, byStatus.get(status) ?? 0, `agents-${status}`),
  );
  const live = s ? Object.values(s.live).reduce((a, b) => a + b, 0) : 0;
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
