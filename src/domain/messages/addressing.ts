/**
 * Who a message goes to. `to` is an agent id, a list of agent ids, `ALL` (every non-retired agent of
 * the sender's project but the sender), `capability:<name>` or `topic:<name>` (subscribers).
 * An id that names nobody, or a capability that no other agent of the project has, is `not_found`
 * (the message would reach no one, and nobody who registers later gets it). `ALL` and a topic may
 * reach no one: that is a success, with a warning that says so (see `emptySendWarning`).
 */
import { HubError } from '../../core/errors.js';
import type { AgentRecord, Store } from '../../store/types.js';

export type Address = string | string[];

/** Looks agents up by id (the agents service keeps them in memory). */
export interface AgentDirectory {
  find(id: string): Promise<AgentRecord | undefined>;
}

/** What `to` may be, for error messages. */
export const ADDRESS_FORMS = 'an agent id, a list of agent ids, "ALL", "capability:<name>" or "topic:<name>"';

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
    const matching = (await store.listAgents({ capability, project: sender.project }))
      .map((a) => a.id)
      .filter((id) => id !== sender.id);
    if (matching.length === 0) {
      throw new HubError(
        'not_found',
        `to: nobody is registered with capability "${capability}" in project ${sender.project} (besides ` +
          'you), so nobody would get this message; list_agents shows who has which capability, and ' +
          '"topic:<name>" reaches whoever subscribes, even no one',
        { details: { capability, project: sender.project } },
      );
    }
    return matching;
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
      `No agent ${missing.join(', ')}; list_agents shows who is registered (to is ${ADDRESS_FORMS})`,
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

/** For a send that reached no one (`ALL` alone in a project, a topic without subscribers): why. */
export function emptySendWarning(to: Address, project: string): string {
  const where =
    typeof to === 'string' && to.startsWith('topic:')
      ? `nobody is subscribed to ${to}`
      : `no other agent is registered in project ${project}`;
  return `${where}: the message is stored but reached no one, and agents that come later do not get it`;
}
