/** SQLite implementation of CoordinationStore. Reads run at once; writes go through the group-commit batcher. */
import type { Database, Statement } from 'better-sqlite3';
import type {
  BallotRecord,
  BallotRule,
  CastOutcome,
  CloseRule,
  CoordinationStore,
  VoteFilter,
  VoteRecord,
  VoteWithBallots,
} from '../coordination.js';
import type { WriteBatcher } from './batcher.js';
import { type BallotRow, toBallot, toVote, VOTE_COLUMNS, type VoteRow } from '../rows/coordination.js';

export class SqliteCoordinationStore implements CoordinationStore {
  private readonly insertVoteStmt: Statement;
  private readonly insertBallotStmt: Statement;
  private readonly voteById: Statement;
  private readonly ballotsOf: Statement;
  private readonly castStmt: Statement;
  private readonly closeStmt: Statement;
  private readonly deleteVoteStmt: Statement;
  private readonly deleteBallotsStmt: Statement;
  private readonly dueStmt: Statement;
  private readonly listCache = new Map<string, Statement>();

  constructor(
    readonly db: Database,
    readonly batcher: WriteBatcher,
  ) {
    this.insertVoteStmt = db.prepare(`INSERT INTO votes (${VOTE_COLUMNS})
      VALUES (@id, @proposal, @options, @rule, @quorum, @created_by, @project, @created_at, @deadline,
              @status, @result, @reason, @closed_at, @thread_id)`);
    this.insertBallotStmt = db.prepare(
      'INSERT INTO vote_ballots (vote_id, agent_id, position, option, comment, cast_at) VALUES (?, ?, ?, NULL, NULL, NULL)',
    );
    this.voteById = db.prepare(`SELECT ${VOTE_COLUMNS} FROM votes WHERE id = ?`);
    this.ballotsOf = db.prepare(
      'SELECT vote_id, agent_id, option, comment, cast_at FROM vote_ballots WHERE vote_id = ? ORDER BY position',
    );
    this.castStmt = db.prepare(
      'UPDATE vote_ballots SET option = ?, comment = ?, cast_at = ? WHERE vote_id = ? AND agent_id = ? AND option IS NULL',
    );
    this.closeStmt = db.prepare(
      "UPDATE votes SET status = ?, result = ?, reason = ?, closed_at = ? WHERE id = ? AND status = 'open'",
    );
    this.deleteVoteStmt = db.prepare('DELETE FROM votes WHERE id = ?');
    this.deleteBallotsStmt = db.prepare('DELETE FROM vote_ballots WHERE vote_id = ?');
    this.dueStmt = db.prepare(
      "SELECT id FROM votes WHERE status = 'open' AND deadline <= ? ORDER BY deadline LIMIT ?",
    );
  }

  private ballots(voteId: string): BallotRecord[] {
    return (this.ballotsOf.all(voteId) as BallotRow[]).map(toBallot);
  }

  /** Synchronous read, usable inside a write transaction. */
  private read(id: string): VoteWithBallots | undefined {
    const row = this.voteById.get(id) as VoteRow | undefined;
    if (!row) return undefined;
    const ballots = this.ballots(id);
    return { vote: toVote(row, ballots), ballots };
  }

  insertVote(vote: VoteRecord): Promise<void> {
    return this.batcher.run(() => {
      this.insertVoteStmt.run({
        id: vote.id,
        proposal: vote.proposal,
        options: JSON.stringify(vote.options),
        rule: vote.rule,
        quorum: vote.quorum,
        created_by: vote.createdBy,
        project: vote.project,
        created_at: vote.createdAt,
        deadline: vote.deadline,
        status: vote.status,
        result: vote.result,
        reason: vote.reason,
        closed_at: vote.closedAt,
        thread_id: vote.threadId,
      });
      vote.participants.forEach((agentId, i) => this.insertBallotStmt.run(vote.id, agentId, i));
    });
  }

  deleteVote(id: string): Promise<void> {
    return this.batcher.run(() => {
      this.deleteBallotsStmt.run(id);
      this.deleteVoteStmt.run(id);
    });
  }

  async getVote(id: string): Promise<VoteWithBallots | undefined> {
    return this.read(id);
  }

  async listVotes(filter: VoteFilter): Promise<VoteWithBallots[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.viewer !== null) {
      where.push('(created_by = ? OR id IN (SELECT vote_id FROM vote_ballots WHERE agent_id = ?))');
      params.push(filter.viewer, filter.viewer);
    }
    if (filter.status) {
      where.push('status = ?');
      params.push(filter.status);
    }
    if (filter.threadId !== undefined) {
      where.push('thread_id = ?');
      params.push(filter.threadId);
    }
    const sql = `SELECT ${VOTE_COLUMNS} FROM votes ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    let stmt = this.listCache.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.listCache.set(sql, stmt);
    }
    return (stmt.all(...params, filter.limit) as VoteRow[]).map((r) => {
      const ballots = this.ballots(r.id);
      return { vote: toVote(r, ballots), ballots };
    });
  }

  castBallot(
    ballot: { voteId: string; agentId: string; option: string; comment: string | null; castAt: string },
    admit: BallotRule,
    close: CloseRule,
    closedAt: string,
  ): Promise<CastOutcome> {
    return this.batcher.run((): CastOutcome => {
      const before = this.read(ballot.voteId);
      if (!before) return { kind: 'not_found' };
      const refused = admit(before, ballot);
      if (refused) return refused;
      this.castStmt.run(ballot.option, ballot.comment, ballot.castAt, ballot.voteId, ballot.agentId);
      const closed = this.applyClose(ballot.voteId, close, closedAt);
      return { kind: 'cast', closed, state: this.read(ballot.voteId)! };
    });
  }

  closeVote(
    id: string,
    close: CloseRule,
    closedAt: string,
  ): Promise<{ closed: boolean; state: VoteWithBallots } | undefined> {
    return this.batcher.run(() => {
      if (!this.voteById.get(id)) return undefined;
      const closed = this.applyClose(id, close, closedAt);
      return { closed, state: this.read(id)! };
    });
  }

  private applyClose(id: string, close: CloseRule, closedAt: string): boolean {
    const current = this.read(id);
    if (!current || current.vote.status !== 'open') return false;
    const closing = close(current.vote, current.ballots);
    if (!closing) return false;
    return this.closeStmt.run(closing.status, closing.result, closing.reason, closedAt, id).changes === 1;
  }

  async dueVotes(now: string, limit: number): Promise<string[]> {
    return (this.dueStmt.all(now, limit) as Array<{ id: string }>).map((r) => r.id);
  }
}
