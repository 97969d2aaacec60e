/**
 * Full-text indexing off the send path: committed messages are added to the FTS5 index in batches,
 * and a search first catches the index up, so search always sees every committed message.
 */
import type { Database, Statement } from 'better-sqlite3';

export class FtsIndexer {
  private readonly mark: Statement;
  private readonly setMark: Statement;
  private readonly pending: Statement;
  private readonly maxSeq: Statement;

  constructor(private readonly db: Database) {
    this.mark = db.prepare('SELECT indexed_seq FROM fts_progress WHERE id = 1');
    this.setMark = db.prepare('UPDATE fts_progress SET indexed_seq = ? WHERE id = 1');
    this.pending = db.prepare(`INSERT INTO messages_fts (rowid, subject, body)
      SELECT seq, COALESCE(subject, ''), body FROM messages WHERE seq > ? AND seq <= ?`);
    this.maxSeq = db.prepare('SELECT MAX(seq) AS s FROM messages');
  }

  /** Indexes everything committed so far. Cheap when nothing is pending. */
  catchUp(): number {
    const from = (this.mark.get() as { indexed_seq: number }).indexed_seq;
    const to = (this.maxSeq.get() as { s: number | null }).s ?? 0;
    if (to <= from) return 0;
    this.db.transaction(() => {
      this.pending.run(from, to);
      this.setMark.run(to);
    })();
    return to - from;
  }
}
