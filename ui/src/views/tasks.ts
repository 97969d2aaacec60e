/** Tasks: not built yet (issue 10, part 4). */
import { fill, h } from '../dom.js';
import type { ViewModule } from './registry.js';

export const tasksView: ViewModule = {
  id: 'tasks',
  label: 'Tasks',
  topics: ['tasks'],
  render(el) {
    fill(
      el,
      h('section', { class: 'panel' }, h('h2', {}, 'Tasks'), h('p', { class: 'muted' }, 'Coming soon.')),
    );
  },
};
