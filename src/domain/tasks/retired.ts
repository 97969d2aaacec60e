/**
 * A retired agent (retire_agent, or presence gave up on it) works on nothing any more: the tasks it
 * holds go back to open at once instead of waiting for their leases to run out. Listens to the
 * agents domain's hub-wide `agent.retired` events; the agents domain is untouched.
 */
import { channels } from '../../bus/bus.js';
import type { DomainDeps } from '../deps.js';
import type { TaskService } from './service.js';

export function listenForRetirement(d: DomainDeps, tasks: TaskService): void {
  d.bus.subscribeLocal(channels.all, (event) => {
    if (event.type !== 'agent.retired') return;
    tasks
      .releaseHeldBy(event.agent_id, event.reason)
      .catch((err) =>
        d.logger.warn({ err, agent: event.agent_id }, 'releasing the tasks of a retired agent failed'),
      );
  });
}
