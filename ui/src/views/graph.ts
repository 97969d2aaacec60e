/** Graph: not built yet (issue 10, part 4). */
import { fill, h } from '../dom.js';
import type { ViewModule } from './registry.js';

export const graphView: ViewModule = {
  id: 'graph',
  label: 'Graph',
  topics: ['graph'],
  render(el) {
    fill(
      el,
      h('section', { class: 'panel' }, h('h2', {}, 'Graph'), h('p', { class: 'muted' }, 'Coming soon.')),
    );
  },
};
