/**
 * Threads, participation and search on PostgreSQL: who may see which message is answered by the
 * deliveries, search by the word index of search.ts. Order is by `messages.seq`, the global insertion
 * number. Who takes part in a thread (as on SQLite): the sender and recipients of its root message
 * (the message whose id is the thread's id) through the root itself, everyone else through a
 * `thread_participants` row (send-batch.ts writes those). Rows written before that rule (a row for
 * every participant of every message, the root's too) answer the same: a row still counts.
 *
 * In a cluster another node may add participants at any time, so "takes part" may come from this
 * node's memory of the root (`ThreadRoots`: a root never changes, nor is deleted), "does not" is
 * always read from the database.
 */
import type { MessageRecord } from '../types.js';
import type { PgDatabase } from './database.js';
import { type MessageRow, toMessage } from '../rows/messages.js';
import { MESSAGE_COLUMNS } from './message-rows.js';
import { searchWords } from './search.js';
import { ThreadRoots } from '../thread-roots.js';

/** The viewer (at `$n`) sent or received the message `m`. */
const visibleTo = (n: number) =>
  `(m.from_agent = $${n} OR EXISTS (SELECT 1 FROM deliveries d WHERE d.message_seq = m.seq AND d.agent_id = $${n}))`;

export class PgThreads {
  constructor(
    private readonly db: PgDatabase,
    private readonly roots: ThreadRoots = new ThreadRoots(),
  ) {}

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

  /**
   * The root's sender or a recipient (remembered, or read with the row and then remembered), or a
   * `thread_participants` row. One round trip, none when the remembered root names the agent.
   */
  async isThreadParticipant(threadId: string, agentId: string): Promise<boolean> {
    const implied = this.roots.get(threadId);
    if (implied?.has(agentId)) return true;
    if (implied) {
      const rows = await this.db.query(
        'SELECT 1 FROM thread_participants WHERE thread_id = $1 AND agent_id = $2',
        [threadId, agentId],
      );
      return rows.length > 0;
    }
    const [row] = await this.db.query<{
      from_agent: string | null;
      recipients: string | null;
      joined: boolean;
    }>(
      `SELECT r.from_agent, r.recipients,
         EXISTS (SELECT 1 FROM thread_participants WHERE thread_id = $1 AND agent_id = $2) AS joined
       FROM (VALUES (1)) AS one LEFT JOIN messages r ON r.id = $1 AND r.thread_id = $1`,
      [threadId, agentId],
    );
    if (row.from_agent !== null) {
      const root = this.roots.remember(threadId, row.from_agent, JSON.parse(row.recipients!) as string[]);
      if (root.has(agentId)) return true;
    }
    return row.joined;
  }

  /** A thread exists while any message is in it (a root alone writes no participant rows). */
  async threadExists(threadId: string): Promise<boolean> {
    if (this.roots.get(threadId)) return true;
    const rows = await this.db.query('SELECT 1 FROM messages WHERE thread_id = $1 LIMIT 1', [threadId]);
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
