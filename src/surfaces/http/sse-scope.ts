/**
 * Which hub-wide events an SSE stream gets, by caller. The admin: all of them. An agent: agent events
 * and its own topic subscriptions (its messages and acks come on its own channel). Without a token:
 * presence only — who registered, changed status or retired (id, name, status, project), never an
 * agent's metadata, description or session id, and nothing else of the hub.
 */
import type { HubEvent } from '../../bus/events.js';
import type { Caller } from '../../core/caller.js';

/** An event as a stream sends it: the bus event itself, or a narrower copy. */
export type StreamedEvent = { type: string } & Record<string, unknown>;

/** What a caller without a token may know of an event, or undefined for nothing. */
export function publicEvent(event: HubEvent): StreamedEvent | undefined {
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

/** The filter for a caller's subscription to the hub-wide channel. */
export function hubWideScope(caller: Caller): (event: HubEvent) => StreamedEvent | undefined {
  switch (caller.kind) {
    case 'admin':
      return (event) => event;
    case 'agent':
      return (event) =>
        event.type.startsWith('agent.') ||
        (event.type.startsWith('topic.') && 'agent_id' in event && event.agent_id === caller.agentId)
          ? event
          : undefined;
    default:
      return publicEvent;
  }
}
