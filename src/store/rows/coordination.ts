/** Vote and ballot rows as both stores read them, the records they become, and a vote's columns. */
import type { BallotRecord, VoteRecord } from '../coordination.js';

export interface VoteRow {
  id: string;
  proposal: string;
  options: string;
  rule: VoteRecord['rule'];
  quorum: number | null;
  created_by: string;
  project: string;
  thread_id: string | null;
  created_at: string;
  deadline: string;
  status: VoteRecord['status'];
  result: string | null;
  reason: string | null;
  closed_at: string | null;
}

export const toVote = (r: VoteRow, ballots: BallotRecord[]): VoteRecord => ({
  id: r.id,
  proposal: r.proposal,
  options: JSON.parse(r.options),
  rule: r.rule,
  quorum: r.quorum,
  participants: ballots.map((b) => b.agentId),
  createdBy: r.created_by,
  project: r.project,
  threadId: r.thread_id,
  createdAt: r.created_at,
  deadline: r.deadline,
  status: r.status,
  result: r.result,
  reason: r.reason,
  closedAt: r.closed_at,
});

export const VOTE_COLUMNS =
  'id, proposal, options, rule, quorum, created_by, project, created_at, deadline, status, result, reason, closed_at, thread_id';

export interface BallotRow {
  vote_id: string;
  agent_id: string;
  option: string | null;
  comment: string | null;
  cast_at: string | null;
}

export const toBallot = (r: BallotRow): BallotRecord => ({
  voteId: r.vote_id,
  agentId: r.agent_id,
  option: r.option,
  comment: r.comment,
  castAt: r.cast_at,
});
