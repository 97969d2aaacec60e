/** Instances: not built yet (issue 10, part 4). */
import { fill, h } from '../dom.js';
import type { ViewModule } from './registry.js';

export const instancesView: ViewModule = {
  id: 'instances',
  label: 'Instances',
  topics: ['instances'],
  render(el) {
    fill(
      el,
      h('section', { class: 'panel' }, h('h2', {}, 'Instances'), h('p', { class: 'muted' }, 'Coming soon.')),
    );
  },
};
