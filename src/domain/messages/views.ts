/** Store records → the wire shapes clients see. */
import type { InboxMessageView, MessageView } from '../../core/wire/index.js';
import type { InboxEntry, MessageRecord } from '../../store/types.js';

export const messageView = (m: MessageRecord): MessageView => ({
  message_id: m.id,
  from: m.from,
  to: m.to,
  type: m.type,
  subject: m.subject,
  body: m.body,
  thread_id: m.threadId,
  reply_to: m.replyTo,
  correlation_id: m.correlationId,
  importance: m.importance,
  ack_required: m.ackRequired,
  created_at: m.createdAt,
  expires_at: m.expiresAt,
  project: m.project,
  sent_by_admin: m.sentByAdmin === true,
});

export const inboxView = (e: InboxEntry): InboxMessageView => ({
  ...messageView(e.message),
  cursor: String(e.cursor),
  read_at: e.readAt,
  acked_at: e.ackedAt,
});
