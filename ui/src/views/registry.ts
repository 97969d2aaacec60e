/**
 * The dashboard's views in navigation order. A view renders into the main element from the page's
 * state; it is re-rendered when one of its topics changes. A view that keeps data of its own loads it
 * in `open` (called each time it is shown) and follows the hub's events in `onEvent` (called for every
 * event, shown or not), calling `changed(<its topic>)` when its data moved.
 */
import type { StreamedEvent } from '../../../src/client/types.js';
import type { State, Topic } from '../state.js';
import { agentsOnEvent, renderAgents } from './agents.js';
import { analyticsView } from './analytics.js';
import { gatewayView } from './gateway.js';
import { graphView } from './graph.js';
import { instancesView } from './instances.js';
import { renderMessages } from './messages.js';
import { overviewView } from './overview.js';
import { tasksView } from './tasks.js';

export interface ViewModule {
  id: string;
  label: string;
  topics: Topic[];
  render(el: HTMLElement, state: State): void;
  open?(el: HTMLElement, state: State): void | Promise<void>;
  onEvent?(state: State, event: StreamedEvent): void;
}

export const VIEWS: ViewModule[] = [
  overviewView,
  { id: 'agents', label: 'Agents', topics: ['agents'], render: renderAgents, onEvent: agentsOnEvent },
  { id: 'messages', label: 'Messages', topics: ['feed', 'agents'], render: renderMessages },
  tasksView,
  instancesView,
  gatewayView,
  graphView,
  analyticsView,
];
