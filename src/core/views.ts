/** The JSON shapes clients see on every surface (snake_case, ISO times). */

export type AgentStatus = 'active' | 'busy' | 'idle' | 'offline' | 'retired';

export interface AgentView {
  agent_id: string;
  session_id: string | null;
  name: string;
  status: AgentStatus;
  capabilities: string[];
  role: string | null;
  description: string | null;
  metadata: Record<string, unknown>;
  project: string;
  last_heartbeat: string;
  created_at: string;
  retired_at: string | null;
}

/** An agent as listings show it: no metadata, the description cut short (get_agent has both). */
export type AgentSummary = Omit<AgentView, 'metadata'>;

export interface MessageView {
  message_id: string;
  from: string;
  to: string | string[];
  type: string;
  subject: string | null;
  body: unknown;
  thread_id: string;
  reply_to: string | null;
  correlation_id: string | null;
  importance: 'low' | 'normal' | 'high' | 'urgent';
  ack_required: boolean;
  created_at: string;
  expires_at: string | null;
  /** The sender's project. */
  project: string;
  /** Sent by the hub's admin acting for the sender (the dashboard's overseer). */
  sent_by_admin: boolean;
}

/** A message as it stands in one recipient's inbox. */
export interface InboxMessageView extends MessageView {
  cursor: string;
  read_at: string | null;
  acked_at: string | null;
}
