/** Every event the bus carries. Surfaces forward these as WebSocket frames and SSE events. */
import type { AgentStatus, AgentSummary, InboxMessageView, MessageView } from '../core/wire/index.js';
import type { ContextEvent } from './context-events.js';
import type { DeliveryEvent } from './delivery-events.js';
import type { GatewayEvent } from './gateway-events.js';
import type { InstanceEvent } from './instance-events.js';
import type { CoordinationEvent } from './coordination-events.js';
import type { LeaseEvent } from './lease-events.js';
import type { NodeEvent } from './node-events.js';
import type { TaskEvent } from './task-events.js';
import type { WorkflowEvent } from './workflow-events.js';

export type HubEvent =
  | CoreEvent
  | TaskEvent
  | ContextEvent
  | LeaseEvent
  | CoordinationEvent
  | InstanceEvent
  | GatewayEvent
  | WorkflowEvent
  | DeliveryEvent
  | NodeEvent;

export type CoreEvent =
  /** To a recipient's channel: a message landed in its inbox. */
  | { type: 'message'; at: string; agent_id: string; cursor: string; message: InboxMessageView }
  /** Hub-wide: one per send. */
  | { type: 'message.sent'; at: string; message: MessageView; recipients: string[] }
  /** To the sender's channel and hub-wide: a recipient acknowledged. */
  | { type: 'ack'; at: string; message_id: string; by: string; to: string }
  | { type: 'agent.registered'; at: string; agent: AgentSummary }
  | { type: 'agent.updated'; at: string; agent: AgentSummary }
  | {
      type: 'agent.status';
      at: string;
      agent_id: string;
      /** The agent's project, so streams keep each project's presence to itself. */
      project: string;
      status: AgentStatus;
      previous: AgentStatus;
    }
  | { type: 'agent.retired'; at: string; agent_id: string; project: string; reason: string }
  | { type: 'topic.subscribed'; at: string; agent_id: string; topic: string }
  | { type: 'topic.unsubscribed'; at: string; agent_id: string; topic: string };

export type HubEventType = HubEvent['type'];
