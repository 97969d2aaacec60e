/** Zod shapes shared by several operations: the wire views and common fields. */
import { z } from 'zod';

export const agentStatus = z.enum(['active', 'busy', 'idle', 'offline', 'retired']);

export const agentView = z.object({
  agent_id: z.string(),
  session_id: z.string().nullable(),
  name: z.string(),
  status: agentStatus,
  capabilities: z.array(z.string()),
  role: z.string().nullable(),
  description: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  project: z.string(),
  last_heartbeat: z.string(),
  created_at: z.string(),
  retired_at: z.string().nullable(),
});

/** An agent in a listing: no metadata, the description cut to its first 200 characters (get_agent has all). */
export const agentSummary = agentView.omit({ metadata: true });

export const importance = z.enum(['low', 'normal', 'high', 'urgent']);

/** A message body: text or a JSON object. */
export const body = z.union([z.string(), z.record(z.string(), z.unknown())]);

export const messageView = z.object({
  message_id: z.string(),
  from: z.string(),
  to: z.union([z.string(), z.array(z.string())]),
  type: z.string(),
  subject: z.string().nullable(),
  body: z.unknown(),
  thread_id: z.string(),
  reply_to: z.string().nullable(),
  correlation_id: z.string().nullable(),
  importance,
  ack_required: z.boolean(),
  created_at: z.string(),
  expires_at: z.string().nullable(),
  project: z.string().describe("The sender's project"),
  sent_by_admin: z.boolean().describe("Sent by the hub's admin acting for the sender (the overseer)"),
});

export const inboxMessageView = messageView.extend({
  cursor: z.string(),
  read_at: z.string().nullable(),
  acked_at: z.string().nullable(),
});

export const inboxResult = z.object({
  messages: z.array(inboxMessageView),
  next_cursor: z.string().describe('Pass as `since` to continue after the last message returned'),
  has_more: z.boolean(),
});

/** Ids of agents, messages, threads: printable, bounded. */
export const idString = z.string().min(1).max(128);

export const actingAgentId = idString
  .optional()
  .describe('The agent to act as; defaults to you. Only the admin may name another agent.');

export const limit = (max: number, dflt: number) =>
  z.number().int().min(1).max(max).optional().describe(`How many at most (1-${max}, default ${dflt})`);
