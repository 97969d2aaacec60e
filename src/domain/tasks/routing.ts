/**
 * Automatic routing: among active agents of the project that have every required capability
 * (the creator aside), the least loaded (tasks it holds now), then the most reliable (completed
 * versus failed attempts, smoothed so newcomers are not shut out), then the longest registered.
 * When no such agent is present the answer says why, and the task waits open for a capable agent.
 */
import type { AgentRecord } from '../../store/types.js';
import type { DomainDeps } from '../deps.js';
import type { Services } from '../index.js';

export async function routeTask(
  d: DomainDeps,
  services: Services,
  creator: AgentRecord,
  capabilities: string[],
): Promise<{ agent: AgentRecord } | { reason: string }> {
  const views = await services.agents.list({ capability: capabilities[0], project: creator.project });
  const candidates = views.filter(
    (a) =>
      a.agent_id !== creator.id &&
      a.status !== 'offline' &&
      a.status !== 'retired' &&
      capabilities.every((c) => a.capabilities.includes(c)),
  );
  if (candidates.length === 0) {
    const wanted = capabilities.length ? `with capabilities ${capabilities.join(', ')}` : 'besides you';
    return {
      reason:
        `no active agent ${wanted} in project ${creator.project} could take it now; ` +
        'it stays open for the first capable agent to claim',
    };
  }
  const ids = candidates.map((a) => a.agent_id);
  const load = await d.store.tasks.activeCounts(ids);
  const history = new Map((await d.store.tasks.stats(ids)).map((s) => [s.agentId, s]));
  const reliability = (id: string) => {
    const s = history.get(id);
    return ((s?.completed ?? 0) + 1) / ((s?.completed ?? 0) + (s?.failed ?? 0) + 2);
  };
  const best = [...candidates].sort(
    (a, b) =>
      (load.get(a.agent_id) ?? 0) - (load.get(b.agent_id) ?? 0) ||
      reliability(b.agent_id) - reliability(a.agent_id) ||
      a.created_at.localeCompare(b.created_at),
  )[0];
  return { agent: await services.agents.requireActive(best.agent_id) };
}
