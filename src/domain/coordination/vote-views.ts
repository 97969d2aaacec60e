/** VoteRecord and its ballots → the wire view (core/wire/vote.ts). */
import type { VoteView } from '../../core/wire/index.js';
import type { VoteRecord, VoteWithBallots } from '../../store/coordination.js';
import { tally } from './vote-rules.js';

export function voteView({ vote, ballots }: VoteWithBallots): VoteView {
  const t = tally(vote, ballots);
  return {
    ...voteSummary(vote),
    tally: Object.fromEntries(t.counts),
    votes: ballots
      .filter((b) => b.option !== null)
      .map((b) => ({ agent_id: b.agentId, option: b.option!, comment: b.comment, cast_at: b.castAt! })),
    missing: ballots.filter((b) => b.option === null).map((b) => b.agentId),
    thread_id: vote.threadId,
  };
}

function voteSummary(v: VoteRecord) {
  return {
    vote_id: v.id,
    proposal: v.proposal,
    options: v.options,
    rule: v.rule,
    quorum: v.quorum,
    participants: v.participants,
    created_by: v.createdBy,
    created_at: v.createdAt,
    deadline: v.deadline,
    status: v.status,
    result: v.result,
    reason: v.reason,
    closed_at: v.closedAt,
  };
}
