/** What the page knows: who it is, the agents it may see, the live message feed; views subscribe. */
import type { HubClient } from '../../src/client/hub-client.js';
import type { AgentView, MessageView, OpOutput } from '../../src/client/types.js';

export type AgentSummary = Omit<AgentView, 'metadata'>;
export type Status = OpOutput<'hub_status'>;

export type Identity = { kind: 'admin' } | { kind: 'agent'; agent_id: string; project: string };

export const FEED_SIZE = 200;

export interface State {
  client: HubClient;
  identity: Identity;
  agents: Map<string, AgentSummary>;
  feed: MessageView[];
  status?: Status;
  live: boolean;
}

type Listener = (topic: Topic) => void;
/** What changed: the page's shared data, or a view's own (named by the view's id). */
export type Topic =
  'agents' | 'feed' | 'status' | 'live' | 'tasks' | 'instances' | 'gateway' | 'graph' | 'analytics';

const listeners = new Set<Listener>();

export function onChange(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function changed(topic: Topic): void {
  for (const fn of listeners) fn(topic);
}

/** An agent token sees its own project only; the admin sees every project. */
export function visible(state: State, agent: { project?: string }): boolean {
  return state.identity.kind === 'admin' || agent.project === state.identity.project;
}
