/** Builds the domain services from their dependencies. */
import { AgentService } from './agents/service.js';
import type { DomainDeps } from './deps.js';
import { type MessageObserver, MessageService } from './messages/service.js';

export interface HubInfo {
  version: string;
  startedAt: string;
  /** Live figures from the surfaces (sockets, streams, MCP sessions). */
  live(): Record<string, number>;
}

export interface Services {
  agents: AgentService;
  messages: MessageService;
  info: HubInfo;
}

export function createServices(deps: DomainDeps, info: HubInfo, observer?: MessageObserver): Services {
  const agents = new AgentService(deps);
  return {
    agents,
    messages: new MessageService(deps, agents, observer),
    info,
  };
}
