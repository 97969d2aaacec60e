/** Builds the domain services from their dependencies. */
import { AgentService } from './agents/service.js';
import { AnalyticsService } from './analytics/service.js';
import { ApprovalsService } from './approvals/service.js';
import { ContextService } from './context/service.js';
import { CoordinationService } from './coordination/service.js';
import { DeliveryService } from './delivery/service.js';
import type { DomainDeps } from './deps.js';
import { DigestService } from './digests/service.js';
import { GatewayService } from './gateway/service.js';
import { GraphService } from './graph/service.js';
import { InstanceService } from './instances/service.js';
import { LeaseService } from './leases/service.js';
import { type MessageObserver, MessageService } from './messages/service.js';
import type { NodeService } from './nodes/service.js';
import { TaskService } from './tasks/service.js';
import { WorkflowService } from './workflows/service.js';

export interface HubInfo {
  version: string;
  startedAt: string;
  /** Live figures from the surfaces (sockets, streams, MCP sessions). */
  live(): Record<string, number>;
  /** This node (its id, the store kind) and the live nodes sharing its database. */
  nodes: NodeService;
}

export interface Services {
  agents: AgentService;
  messages: MessageService;
  tasks: TaskService;
  context: ContextService;
  leases: LeaseService;
  coordination: CoordinationService;
  instances: InstanceService;
  gateway: GatewayService;
  approvals: ApprovalsService;
  workflows: WorkflowService;
  analytics: AnalyticsService;
  digests: DigestService;
  graph: GraphService;
  delivery: DeliveryService;
  info: HubInfo;
}

export function createServices(deps: DomainDeps, info: HubInfo, observer?: MessageObserver): Services {
  const agents = new AgentService(deps);
  // Later domains get the whole set, so they can use each other; it is complete before any call runs.
  const services = { agents, messages: new MessageService(deps, agents, observer), info } as Services;
  services.tasks = new TaskService(deps, services);
  services.context = new ContextService(deps, services);
  services.leases = new LeaseService(deps, services);
  services.coordination = new CoordinationService(deps, services);
  services.instances = new InstanceService(deps, services);
  services.gateway = new GatewayService(deps, services);
  services.approvals = new ApprovalsService(deps, services);
  services.workflows = new WorkflowService(deps, services);
  services.analytics = new AnalyticsService(deps, services);
  services.digests = new DigestService(deps, services);
  services.graph = new GraphService(deps, services);
  services.delivery = new DeliveryService(deps);
  // Insights include the graph's patterns (hub-and-spoke, pipelines, bottlenecks).
  services.analytics.finder.patterns = (viewer, f) => services.graph.findings(viewer, f);
  return services;
}
