/**
 * PostgreSQL implementation of CoordinationStore (votes). Every cast and close locks the vote's row
 * first (`SELECT … FOR UPDATE`), so casts and closes of one vote from any node take turns: each sees
 * the ballots committed before it, a ballot is filled only while empty (one vote per agent), and a
 * vote closes once.
 */
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
import type { PgDatabase, Queryable } from './database.js';
import { toVote, VOTE_COLUMNS, type VoteRow } from '../rows/coordination.js';

/** A vote's columns with one ballot's (null ballot columns for a vote without participants). */
type JoinedRow = VoteRow & {
  b_agent: string | null;
  b_option: string | null;
  b_comment: string | null;
  b_cast_at: string | null;
};

const JOINED = `SELECT v.*, b.agent_id AS b_agent, b.option AS b_option, b.comment AS b_comment,
  b.cast_at AS b_cast_at FROM v LEFT JOIN vote_ballots b ON b.vote_id = v.id`;

/** Groups joined rows (in vote order, ballots by position) into votes with their ballots. */
function group(rows: JoinedRow[]): VoteWithBallots[] {
  const out: Array<{ row: VoteRow; ballots: BallotRecord[] }> = [];
  for (const r of rows) {
    if (out.at(-1)?.row.id !== r.id) out.push({ row: r, ballots: [] });
    if (r.b_agent !== null) {
      out.at(-1)!.ballots.push({
        voteId: r.id,
        agentId: r.b_agent,
        option: r.b_option,
        comment: r.b_comment,
        castAt: r.b_cast_at,
      });
    }
  }
  return out.map(({ row, ballots }) => ({ vote: toVote(row, ballots), ballots }));
}

/**
 * The vote and its ballots, read in one statement (one snapshot); `lock` first takes the vote's row
 * lock (inside a transaction).
 */
async function read(c: Queryable, id: string, lock = false): Promise<VoteWithBallots | undefined> {
  if (lock) await c.query('SELECT 1 FROM votes WHERE id = $1 FOR UPDATE', [id]);
  const { rows } = await c.query<JoinedRow>(
    `WITH v AS (SELECT ${VOTE_COLUMNS} FROM votes WHERE id = $1) ${JOINED} ORDER BY b.position`,
    [id],
  );
  return group(rows)[0];
}

/** Applies `close` to the (locked) vote; true if this call closed it. */
async function applyClose(c: Queryable, id: string, close: CloseRule, closedAt: string): Promise<boolean> {
  const current = await read(c, id);
  if (!current || current.vote.status !== 'open') return false;
  const closing = close(current.vote, current.ballots);
  if (!closing) return false;
  const { rowCount } = await c.query(
    "UPDATE votes SET status = $1, result = $2, reason = $3, closed_at = $4 WHERE id = $5 AND status = 'open'",
    [closing.status, closing.result, closing.reason, closedAt, id],
  );
  return rowCount === 1;
}

export class PgCoordinationStore implements CoordinationStore {
  constructor(readonly db: PgDatabase) {}

  insertVote(vote: VoteRecord): Promise<void> {
    return this.db.tx(async (c) => {
      await c.query(
        `INSERT INTO votes (${VOTE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
        [
          vote.id,
          vote.proposal,
          JSON.stringify(vote.options),
          vote.rule,
          vote.quorum,
          vote.createdBy,
          vote.project,
          vote.createdAt,
          vote.deadline,
          vote.status,
          vote.result,
          vote.reason,
          vote.closedAt,
          vote.threadId,
        ],
      );
      if (vote.participants.length > 0) {
        await c.query(
          `INSERT INTO vote_ballots (vote_id, agent_id, position)
           SELECT $1, agent_id, position - 1 FROM unnest($2::text[]) WITH ORDINALITY AS p(agent_id, position)`,
          [vote.id, vote.participants],
        );
      }
    });
  }

  deleteVote(id: string): Promise<void> {
    return this.db.tx(async (c) => {
      await c.query('DELETE FROM vote_ballots WHERE vote_id = $1', [id]);
      await c.query('DELETE FROM votes WHERE id = $1', [id]);
    });
  }

  async getVote(id: string): Promise<VoteWithBallots | undefined> {
    return read(this.db.reader, id);
  }

  async listVotes(filter: VoteFilter): Promise<VoteWithBallots[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.viewer !== null) {
      params.push(filter.viewer);
      where.push(
        `(created_by = $${params.length} OR id IN (SELECT vote_id FROM vote_ballots WHERE agent_id = $${params.length}))`,
      );
    }
    if (filter.status) {
      params.push(filter.status);
      where.push(`status = $${params.length}`);
    }
    if (filter.threadId !== undefined) {
      params.push(filter.threadId);
      where.push(`thread_id = $${params.length}`);
    }
    params.push(filter.limit);
    const rows = await this.db.query<JoinedRow>(
      `WITH v AS (SELECT ${VOTE_COLUMNS} FROM votes ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY id DESC LIMIT $${params.length})
       ${JOINED} ORDER BY v.id DESC, b.position`,
      params,
    );
    return group(rows);
  }

  castBallot(
    ballot: { voteId: string; agentId: string; option: string; comment: string | null; castAt: string },
    admit: BallotRule,
    close: CloseRule,
    closedAt: string,
  ): Promise<CastOutcome> {
    return this.db.tx(async (c): Promise<CastOutcome> => {
      // Exactness across nodes: the vote's row lock (see the header); the ballot update below also
      // requires an empty ballot, so even a write that skipped the lock could not vote twice.
      const before = await read(c, ballot.voteId, true);
      if (!before) return { kind: 'not_found' };
      const refused = admit(before, ballot);
      if (refused) return refused;
      await c.query(
        `UPDATE vote_ballots SET option = $1, comment = $2, cast_at = $3
         WHERE vote_id = $4 AND agent_id = $5 AND option IS NULL`,
        [ballot.option, ballot.comment, ballot.castAt, ballot.voteId, ballot.agentId],
      );
      const closed = await applyClose(c, ballot.voteId, close, closedAt);
      return { kind: 'cast', closed, state: (await read(c, ballot.voteId))! };
    });
  }

  closeVote(
    id: string,
    close: CloseRule,
    closedAt: string,
  ): Promise<{ closed: boolean; state: VoteWithBallots } | undefined> {
    return this.db.tx(async (c) => {
      // Exactness across nodes: the vote's row lock, then a conditional update (status = 'open'):
      // a vote closes once, whichever node's sweep or cast gets there first.
      if (!(await read(c, id, true))) return undefined;
      const closed = await applyClose(c, id, close, closedAt);
      return { closed, state: (await read(c, id))! };
    });
  }

  async dueVotes(now: string, limit: number): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(
      "SELECT id FROM votes WHERE status = 'open' AND deadline <= $1::timestamptz ORDER BY deadline, id LIMIT $2",
      [now, limit],
    );
    return rows.map((r) => r.id);
  }
}
