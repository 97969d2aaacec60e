/** Gateway: not built yet (issue 10, part 4). */
import { fill, h } from '../dom.js';
import type { ViewModule } from './registry.js';

export const gatewayView: ViewModule = {
  id: 'gateway',
  label: 'Gateway',
  topics: ['gateway'],
  render(el) {
    fill(
      el,
      h('section', { class: 'panel' }, h('h2', {}, 'Gateway'), h('p', { class: 'muted' }, 'Coming soon.')),
    );
  },
};
