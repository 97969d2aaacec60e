/** The wire shapes of a message and of a message in one recipient's inbox: zod schemas and types. */
import { z } from 'zod';

export const importance = z.enum(['low', 'normal', 'high', 'urgent']);

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
export type MessageView = z.infer<typeof messageView>;

/** A message as it stands in one recipient's inbox. */
export const inboxMessageView = messageView.extend({
  cursor: z.string(),
  read_at: z.string().nullable(),
  acked_at: z.string().nullable(),
});
export type InboxMessageView = z.infer<typeof inboxMessageView>;
