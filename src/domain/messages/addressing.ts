/**
 * Who a message goes to. `to` is an agent id, a list of agent ids, `ALL` (every non-retired agent of
 * the sender's project but the sender), `capability:<name>` or `topic:<name>` (subscribers).
 */
import { HubError } from '../../core/errors.js';
import type { AgentRecord, Store } from '../../store/types.js';

export type Address = string | string[];

/** Looks agents up by id (the agents service keeps them in memory). */
export interface AgentDirectory {
  find(id: string): Promise<AgentRecord | undefined>;
}

export const TOPIC_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

export async function resolveRecipients(
  store: Store,
  directory: AgentDirectory,
  to: Address,
  sender: AgentRecord,
): Promise<string[]> {
  if (Array.isArray(to)) return resolveIds(directory, to);
  if (to === 'ALL') {
    return (await store.listAgents({ project: sender.project }))
      .map((a) => a.id)
      .filter((id) => id !== sender.id);
  }
  if (to.startsWith('capability:')) {
    const capability = to.slice('capability:'.length);
    if (!capability)
      throw new HubError('invalid_input', 'to: "capability:" needs a capability name after the colon');
    return (await store.listAgents({ capability, project: sender.project }))
      .map((a) => a.id)
      .filter((id) => id !== sender.id);
  }
  if (to.startsWith('topic:')) {
    const topic = to.slice('topic:'.length);
    if (!TOPIC_PATTERN.test(topic))
      throw new HubError('invalid_input', `to: "${to}" is not a valid topic name`);
    const subscribers = (await store.topicSubscribers(topic)).filter((id) => id !== sender.id);
    const live = await store.listAgents({ ids: subscribers });
    return live.map((a) => a.id);
  }
  return resolveIds(directory, [to]);
}

async function resolveIds(directory: AgentDirectory, ids: string[]): Promise<string[]> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) throw new HubError('invalid_input', 'to: the list of recipients is empty');
  const byId = new Map<string, AgentRecord>();
  for (const id of unique) {
    const agent = await directory.find(id);
    if (agent) byId.set(id, agent);
  }
  const missing = unique.filter((id) => !byId.has(id));
  if (missing.length) {
    throw new HubError(
      'not_found',
      `No agent ${missing.join(', ')}; list_agents shows who is registered (or address "ALL", "capability:<name>", "topic:<name>")`,
      { details: { missing } },
    );
  }
  const retired = unique.filter((id) => byId.get(id)?.retiredAt);
  if (retired.length) {
    throw new HubError('not_found', `Agent ${retired.join(', ')} is retired and receives no messages`, {
      details: { retired },
    });
  }
  return unique;
}
