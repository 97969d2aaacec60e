/** Analytics: not built yet (issue 10, part 4). */
import { fill, h } from '../dom.js';
import type { ViewModule } from './registry.js';

export const analyticsView: ViewModule = {
  id: 'analytics',
  label: 'Analytics',
  topics: ['analytics'],
  render(el) {
    fill(
      el,
      h('section', { class: 'panel' }, h('h2', {}, 'Analytics'), h('p', { class: 'muted' }, 'Coming soon.')),
    );
  },
};
