/**
 * Who may read and write which scope. `global`: every agent. `project`: the agents of that project
 * (an agent's own project by default). `session`: every agent that knows the id. `conversation`:
 * the participants of that thread, i.e. the agents that sent or received a message in it (checked by
 * the service against the thread's recorded participants; naming a thread never makes one). `agent`:
 * everyone reads an agent's persona; only that agent (or the admin) writes it.
 */
import { HubError } from '../../core/errors.js';
import type { AgentRecord } from '../../store/types.js';
import type { ContextAddress, ContextScope } from '../../store/context.js';

/** The acting agent, or null for the admin. */
export type ContextActor = AgentRecord | null;

export const CONTEXT_SCOPES = ['global', 'project', 'session', 'conversation', 'agent'] as const;

/** The scope's id from what the caller named, with the read rule applied. */
export function resolveScopeId(actor: ContextActor, scope: ContextScope, named: string | undefined): string {
  switch (scope) {
    case 'global':
      if (named) throw new HubError('invalid_input', 'scope_id: the global scope has no id; leave it out');
      return '';
    case 'project':
      if (!actor) {
        if (!named) throw new HubError('invalid_input', 'scope_id: as the admin, name the project');
        return named;
      }
      if (named && named !== actor.project) {
        throw new HubError(
          'forbidden',
          `scope_id: you belong to project ${actor.project} and cannot use the context of project ${named}`,
        );
      }
      return actor.project;
    case 'session':
    case 'conversation':
      if (!named) {
        throw new HubError(
          'invalid_input',
          `scope_id: the ${scope} scope needs the ${scope === 'session' ? 'session id' : 'thread id'}`,
        );
      }
      return named;
    case 'agent':
      if (named) return named;
      if (!actor) throw new HubError('invalid_input', 'scope_id: as the admin, name the agent');
      return actor.id;
  }
}

/** Throws unless the actor may change this key. */
export function checkWrite(actor: ContextActor, address: ContextAddress): void {
  if (address.scope === 'agent' && actor && actor.id !== address.scopeId) {
    throw new HubError(
      'forbidden',
      `The agent scope of ${address.scopeId} is written only by that agent (or the admin); you are ${actor.id}`,
    );
  }
}
