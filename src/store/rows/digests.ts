/** A thread summary row as both stores read it, and the record it becomes. */
import type { ThreadSummaryRecord } from '../digests.js';

export interface SummaryRow {
  thread_id: string;
  scope: string;
  summary: string;
  instance_id: string;
  written_by: string;
  requested_by: string | null;
  messages_covered: number;
  last_message_id: string;
  created_at: string;
}

export const toSummary = (r: SummaryRow): ThreadSummaryRecord => ({
  threadId: r.thread_id,
  scope: r.scope,
  summary: r.summary,
  instanceId: r.instance_id,
  writtenBy: r.written_by,
  requestedBy: r.requested_by,
  messagesCovered: r.messages_covered,
  lastMessageId: r.last_message_id,
  createdAt: r.created_at,
});
