/**
 * A `messages` row as both stores read it, and the record the Store hands out. The one difference
 * between the stores is in the flag columns: SQLite returns them as 0/1 integers, PostgreSQL as
 * booleans; `flag` reads either.
 */
import type { MessageRecord } from '../types.js';

/** A boolean column as SQLite (0/1) or PostgreSQL (boolean) returns it. */
export const flag = (v: number | boolean): boolean => v === true || v === 1;

export interface MessageRow {
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
  ack_required: number | boolean;
  project: string;
  created_at: string;
  expires_at: string | null;
  idempotency_key: string | null;
  recipients: string;
  sent_by_admin: number | boolean;
}

/** A message row with the reader's delivery columns (an inbox listing). */
export interface InboxRow extends MessageRow {
  cursor: number;
  read_at: string | null;
  acked_at: string | null;
}

export const toMessage = (r: MessageRow): MessageRecord => ({
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
  ackRequired: flag(r.ack_required),
  project: r.project,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  idempotencyKey: r.idempotency_key,
  recipients: JSON.parse(r.recipients),
  sentByAdmin: flag(r.sent_by_admin),
});
