/**
 * Which hub-wide events an SSE stream gets, by caller. The admin: all of them. An agent: the agent
 * events of its own project and its own topic subscriptions (its messages and acks come on its own
 * channel), nothing of another project. Without a token: presence only — who registered, changed
 * status or retired (id, name, status, project), never an agent's metadata, description or session
 * id, and nothing else of the hub; the stream itself is refused while `auth.anonymousDirectory` is off.
 */
import type { HubEvent } from '../../bus/events.js';
import type { SseEvent } from '../../bus/frames.js';
import type { Caller } from '../../core/caller.js';

/** What a caller without a token may know of an event, or undefined for nothing. */
export function publicEvent(event: HubEvent): SseEvent | undefined {
  switch (event.type) {
    case 'agent.registered':
    case 'agent.updated': {
      const { agent_id, name, status, project } = event.agent;
      return { type: event.type, at: event.at, agent: { agent_id, name, status, project } };
    }
    case 'agent.status':
    case 'agent.retired':
      return event;
    default:
      return undefined;
  }
}

/** The project an agent event is about, or undefined for any other event. */
function agentEventProject(event: HubEvent): string | undefined {
  switch (event.type) {
    case 'agent.registered':
    case 'agent.updated':
      return event.agent.project;
    case 'agent.status':
    case 'agent.retired':
      return event.project;
    default:
      return undefined;
  }
}

/**
 * The filter for a caller's subscription to the hub-wide channel. `projectOf` answers the viewing
 * agent's current project at each event (it may re-register elsewhere; undefined: nothing is shown).
 */
export function hubWideScope(
  caller: Caller,
  projectOf: (agentId: string) => string | undefined,
): (event: HubEvent) => SseEvent | undefined {
  switch (caller.kind) {
    case 'admin':
      return (event) => event;
    case 'agent':
      return (event) => {
        if (event.type.startsWith('topic.'))
          return 'agent_id' in event && event.agent_id === caller.agentId ? event : undefined;
        const project = agentEventProject(event);
        return project !== undefined && project === projectOf(caller.agentId) ? event : undefined;
      };
    default:
      return publicEvent;
  }
}
