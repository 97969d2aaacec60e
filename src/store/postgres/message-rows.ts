/** A `messages` row as PostgreSQL returns it, and the record the Store hands out (as sqlite/messages.ts). */
import type { MessageRecord } from '../types.js';

export interface PgMessageRow {
  seq: number;
  id: string;
  from_agent: string;
  to_spec: string;
  type: string;
  subject: string | null;
  body: string;
  thread_id: string;
  reply_to: string | null;
  correlation_id: string | null;
  importance: MessageRecord['importance'];
  ack_required: boolean;
  project: string;
  created_at: string;
  expires_at: string | null;
  idempotency_key: string | null;
  recipients: string;
  sent_by_admin: boolean;
}

/** The columns of a message record (`m.`-qualified), leaving out the search words. */
export const MESSAGE_COLUMNS = `m.seq, m.id, m.from_agent, m.to_spec, m.type, m.subject, m.body, m.thread_id,
  m.reply_to, m.correlation_id, m.importance, m.ack_required, m.project, m.created_at, m.expires_at,
  m.idempotency_key, m.recipients, m.sent_by_admin`;

export const toMessage = (r: PgMessageRow): MessageRecord => ({
  seq: r.seq,
  id: r.id,
  from: r.from_agent,
  to: JSON.parse(r.to_spec),
  type: r.type,
  subject: r.subject,
  body: JSON.parse(r.body),
  threadId: r.thread_id,
  replyTo: r.reply_to,
  correlationId: r.correlation_id,
  importance: r.importance,
  ackRequired: r.ack_required,
  project: r.project,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  idempotencyKey: r.idempotency_key,
  recipients: JSON.parse(r.recipients),
  sentByAdmin: r.sent_by_admin,
});
