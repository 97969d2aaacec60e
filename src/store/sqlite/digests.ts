/** SQLite implementation of DigestStore. Reads run at once; writes go through the group-commit batcher. */
import type { Database, Statement } from 'better-sqlite3';
import type { DigestStore, ThreadSummaryRecord } from '../digests.js';
import type { MessageRecord } from '../types.js';
import type { WriteBatcher } from './batcher.js';
import { type MessageRow, toMessage } from '../rows/messages.js';
import { type SummaryRow, toSummary } from '../rows/digests.js';

/** A viewer sees the messages it sent or received (a delivery of its own). */
const VISIBLE = `(m.from_agent = @viewer
  OR EXISTS (SELECT 1 FROM deliveries d WHERE d.message_seq = m.seq AND d.agent_id = @viewer))`;

export class SqliteDigestStore implements DigestStore {
  private readonly tailAll: Statement;
  private readonly tailSeen: Statement;
  private readonly countAll: Statement;
  private readonly countSeen: Statement;
  private readonly summaryOf: Statement;
  private readonly upsertSummary: Statement;

  constructor(
    readonly db: Database,
    readonly batcher: WriteBatcher,
  ) {
    this.tailAll = db.prepare(
      'SELECT * FROM messages m WHERE m.thread_id = @thread ORDER BY m.seq DESC LIMIT @limit',
    );
    this.tailSeen = db.prepare(
      `SELECT * FROM messages m WHERE m.thread_id = @thread AND ${VISIBLE} ORDER BY m.seq DESC LIMIT @limit`,
    );
    this.countAll = db.prepare('SELECT COUNT(*) AS n FROM messages m WHERE m.thread_id = @thread');
    this.countSeen = db.prepare(
      `SELECT COUNT(*) AS n FROM messages m WHERE m.thread_id = @thread AND ${VISIBLE}`,
    );
    this.summaryOf = db.prepare('SELECT * FROM thread_summaries WHERE thread_id = ? AND scope = ?');
    this.upsertSummary = db.prepare(`INSERT INTO thread_summaries (thread_id, scope, summary, instance_id,
        written_by, requested_by, messages_covered, last_message_id, created_at)
      VALUES (@thread_id, @scope, @summary, @instance_id, @written_by, @requested_by, @messages_covered,
        @last_message_id, @created_at)
      ON CONFLICT (thread_id, scope) DO UPDATE SET summary = excluded.summary,
        instance_id = excluded.instance_id, written_by = excluded.written_by,
        requested_by = excluded.requested_by, messages_covered = excluded.messages_covered,
        last_message_id = excluded.last_message_id, created_at = excluded.created_at`);
  }

  async threadTail(
    threadId: string,
    viewer: string | null,
    limit: number,
  ): Promise<{ messages: MessageRecord[]; total: number }> {
    const params = viewer ? { thread: threadId, viewer, limit } : { thread: threadId, limit };
    const rows = (viewer ? this.tailSeen : this.tailAll).all(params) as MessageRow[];
    const { n } = (viewer ? this.countSeen : this.countAll).get(
      viewer ? { thread: threadId, viewer } : { thread: threadId },
    ) as { n: number };
    return { messages: rows.reverse().map(toMessage), total: n };
  }

  async getSummary(threadId: string, scope: string): Promise<ThreadSummaryRecord | undefined> {
    const r = this.summaryOf.get(threadId, scope) as SummaryRow | undefined;
    return r && toSummary(r);
  }

  putSummary(s: ThreadSummaryRecord): Promise<void> {
    return this.batcher.run(() => {
      this.upsertSummary.run({
        thread_id: s.threadId,
        scope: s.scope,
        summary: s.summary,
        instance_id: s.instanceId,
        written_by: s.writtenBy,
        requested_by: s.requestedBy,
        messages_covered: s.messagesCovered,
        last_message_id: s.lastMessageId,
        created_at: s.createdAt,
      });
    });
  }
}
