/**
 * PostgreSQL implementation of DigestStore: a thread's newest messages from the message log (as the
 * viewer sees them: what it sent or received) and the prose summaries, one per thread and view.
 */
import type { DigestStore, ThreadSummaryRecord } from '../digests.js';
import type { MessageRecord } from '../types.js';
import type { PgDatabase } from './database.js';
import { type MessageRow, toMessage } from '../rows/messages.js';
import { MESSAGE_COLUMNS } from './message-rows.js';
import { type SummaryRow, toSummary } from '../rows/digests.js';

/** The viewer (at `$2`) sent or received the message `m` (a delivery of its own). */
const VISIBLE = `(m.from_agent = $2
  OR EXISTS (SELECT 1 FROM deliveries d WHERE d.message_seq = m.seq AND d.agent_id = $2))`;

export class PgDigestStore implements DigestStore {
  constructor(readonly db: PgDatabase) {}

  /**
   * The tail and the count are read in one statement, so they agree with each other even while
   * another node sends to the thread.
   */
  async threadTail(
    threadId: string,
    viewer: string | null,
    limit: number,
  ): Promise<{ messages: MessageRecord[]; total: number }> {
    const where = viewer ? `m.thread_id = $1 AND ${VISIBLE}` : 'm.thread_id = $1';
    const params = viewer ? [threadId, viewer, limit] : [threadId, limit];
    const rows = await this.db.query<MessageRow & { total: number }>(
      `WITH visible AS (SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE ${where})
       SELECT t.*, c.total FROM (SELECT count(*) AS total FROM visible) c
       LEFT JOIN LATERAL (SELECT * FROM visible ORDER BY seq DESC LIMIT $${params.length}) t ON true`,
      params,
    );
    const total = rows[0]?.total ?? 0;
    const messages = rows
      .filter((r) => r.seq !== null)
      .sort((a, b) => a.seq - b.seq)
      .map(toMessage);
    return { messages, total };
  }

  async getSummary(threadId: string, scope: string): Promise<ThreadSummaryRecord | undefined> {
    const [r] = await this.db.query<SummaryRow>(
      'SELECT * FROM thread_summaries WHERE thread_id = $1 AND scope = $2',
      [threadId, scope],
    );
    return r && toSummary(r);
  }

  /** An upsert on (thread, scope): instances summarizing one thread on two nodes leave one summary. */
  async putSummary(s: ThreadSummaryRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO thread_summaries (thread_id, scope, summary, instance_id, written_by, requested_by,
         messages_covered, last_message_id, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (thread_id, scope) DO UPDATE SET summary = excluded.summary,
         instance_id = excluded.instance_id, written_by = excluded.written_by,
         requested_by = excluded.requested_by, messages_covered = excluded.messages_covered,
         last_message_id = excluded.last_message_id, created_at = excluded.created_at`,
      [
        s.threadId,
        s.scope,
        s.summary,
        s.instanceId,
        s.writtenBy,
        s.requestedBy,
        s.messagesCovered,
        s.lastMessageId,
        s.createdAt,
      ],
    );
  }
}
