/**
 * A retired agent edits nothing any more: the file leases it holds are released at once (and their
 * holders of overlapping leases told), instead of blocking other agents' commits until they expire.
 */
import { channels } from '../../bus/bus.js';
import type { DomainDeps } from '../deps.js';

export function releaseLeasesOfRetired(d: DomainDeps, release: (agentId: string) => Promise<number>): void {
  d.bus.subscribeLocal(channels.all, (event) => {
    if (event.type !== 'agent.retired') return;
    release(event.agent_id).catch((err) =>
      d.logger.warn({ err, agent: event.agent_id }, 'releasing the leases of a retired agent failed'),
    );
  });
}
