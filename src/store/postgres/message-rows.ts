/** The columns of a message record in PostgreSQL's queries (the row and its mapping: ../rows/messages.ts). */

/** The columns of a message record (`m.`-qualified), leaving out the search words. */
export const MESSAGE_COLUMNS = `m.seq, m.id, m.from_agent, m.to_spec, m.type, m.subject, m.body, m.thread_id,
  m.reply_to, m.correlation_id, m.importance, m.ack_required, m.project, m.created_at, m.expires_at,
  m.idempotency_key, m.recipients, m.sent_by_admin`;
