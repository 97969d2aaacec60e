/**
 * Threads, participation and search on PostgreSQL: who may see which message is answered by the
 * deliveries and `thread_participants` (kept by messages.ts in the send's transaction), search by
 * the word index of search.ts. Order is by `messages.seq`, the global insertion number.
 */
import type { MessageRecord } from '../types.js';
import type { PgDatabase } from './database.js';
import { type MessageRow, toMessage } from '../rows/messages.js';
import { MESSAGE_COLUMNS } from './message-rows.js';
import { searchWords } from './search.js';

/** The viewer (at `$n`) sent or received the message `m`. */
const visibleTo = (n: number) =>
  `(m.from_agent = $${n} OR EXISTS (SELECT 1 FROM deliveries d WHERE d.message_seq = m.seq AND d.agent_id = $${n}))`;

export class PgThreads {
  constructor(private readonly db: PgDatabase) {}

  /** Oldest first; with a viewer, visibility first and then the limit (its own messages of a busy thread). */
  async list(threadId: string, viewer: string | null, limit: number): Promise<MessageRecord[]> {
    const rows = viewer
      ? await this.db.query<MessageRow>(
          `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.thread_id = $1 AND ${visibleTo(2)}
           ORDER BY m.seq LIMIT $3`,
          [threadId, viewer, limit],
        )
      : await this.db.query<MessageRow>(
          `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.thread_id = $1 ORDER BY m.seq LIMIT $2`,
          [threadId, limit],
        );
    return rows.map(toMessage);
  }

  async isThreadParticipant(threadId: string, agentId: string): Promise<boolean> {
    const rows = await this.db.query(
      'SELECT 1 FROM thread_participants WHERE thread_id = $1 AND agent_id = $2',
      [threadId, agentId],
    );
    return rows.length > 0;
  }

  async threadExists(threadId: string): Promise<boolean> {
    const rows = await this.db.query('SELECT 1 FROM thread_participants WHERE thread_id = $1 LIMIT 1', [
      threadId,
    ]);
    return rows.length > 0;
  }

  async isParticipant(seq: number, agentId: string): Promise<boolean> {
    const rows = await this.db.query(`SELECT 1 FROM messages m WHERE m.seq = $1 AND ${visibleTo(2)}`, [
      seq,
      agentId,
    ]);
    return rows.length > 0;
  }

  /**
   * Messages holding every term in subject or body, newest first; with a viewer only its own (its
   * participant entry is one more element the word array must hold: see search.ts). The GIN index
   * on the word array finds the candidates; phrases are checked on the stored text. `seq + 0`: the
   * planner may not walk the primary key newest-first filtering every row (its statistics cannot
   * tell that a viewer's entry or an unknown word is rare, and that walk costs the whole table);
   * the cost stays with the matches, as with FTS5.
   * Every value is a parameter: no text of the query is ever read as syntax.
   */
  async search(terms: string[], viewer: string | null, limit: number): Promise<MessageRecord[]> {
    const { all, phrases, impossible } = searchWords(terms, viewer);
    if (impossible) return [];
    const params: unknown[] = [all];
    const where = ['m.search_words @> $1::text[]'];
    for (const p of phrases) {
      params.push(p);
      where.push(`strpos(' ' || array_to_string(m.search_words, ' ') || ' ', $${params.length}) > 0`);
    }
    params.push(limit);
    const rows = await this.db.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE ${where.join(' AND ')}
       ORDER BY m.seq + 0 DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(toMessage);
  }
}
