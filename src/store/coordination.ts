/** Persistence for coordination: the CoordinationStore part of the Store interface (votes). */

export type VoteRule = 'majority' | 'unanimous' | 'quorum';
export type VoteStatus = 'open' | 'decided' | 'expired';

export interface VoteRecord {
  id: string;
  proposal: string;
  options: string[];
  rule: VoteRule;
  /** k for the `quorum` rule; null otherwise. */
  quorum: number | null;
  /** Frozen when the vote starts, in the order given. */
  participants: string[];
  createdBy: string;
  project: string;
  /** The thread this vote came out of (one its starter takes part in), if named. */
  threadId: string | null;
  createdAt: string;
  deadline: string;
  status: VoteStatus;
  result: string | null;
  reason: string | null;
  closedAt: string | null;
}

/** One participant's ballot; `option` is null until they vote. */
export interface BallotRecord {
  voteId: string;
  agentId: string;
  option: string | null;
  comment: string | null;
  castAt: string | null;
}

export interface VoteWithBallots {
  vote: VoteRecord;
  ballots: BallotRecord[];
}

/** How a vote closes: computed from the vote and its ballots inside the same transaction. */
export interface VoteClosing {
  status: 'decided' | 'expired';
  result: string | null;
  reason: string;
}

/** Pure: given the vote and its ballots, close it now or not (null). */
export type CloseRule = (vote: VoteRecord, ballots: BallotRecord[]) => VoteClosing | null;

export type CastOutcome =
  /** The ballot was recorded (and `closed` says whether that decided the vote). */
  | { kind: 'cast'; closed: boolean; state: VoteWithBallots }
  /** The same option again: nothing changed. */
  | { kind: 'unchanged'; state: VoteWithBallots }
  /** A different option after an earlier ballot: votes are final. */
  | { kind: 'already_voted'; previous: BallotRecord; state: VoteWithBallots }
  | { kind: 'closed'; state: VoteWithBallots }
  | { kind: 'not_participant'; state: VoteWithBallots }
  | { kind: 'not_found' };

/** A ballot the vote does not take: why, with the vote as it is. */
export type BallotRefusal = Extract<
  CastOutcome,
  { kind: 'unchanged' | 'already_voted' | 'closed' | 'not_participant' }
>;

/**
 * Pure: given the vote as it is (read inside the cast's transaction) and a ballot, the refusal, or
 * null to record the ballot. The domain's rule (src/domain/coordination/vote-rules.ts).
 */
export type BallotRule = (
  state: VoteWithBallots,
  ballot: { agentId: string; option: string },
) => BallotRefusal | null;

export interface VoteFilter {
  /** Only votes this agent started or takes part in (null: all). */
  viewer: string | null;
  status?: VoteStatus;
  /** Only votes that came out of this thread. */
  threadId?: string;
  limit: number;
}

export interface CoordinationStore {
  /** Stores a vote with an empty ballot for each participant, atomically. */
  insertVote(vote: VoteRecord): Promise<void>;
  deleteVote(id: string): Promise<void>;
  getVote(id: string): Promise<VoteWithBallots | undefined>;
  listVotes(filter: VoteFilter): Promise<VoteWithBallots[]>;
  /** Records a ballot `admit` lets in and applies `close`, in one transaction. */
  castBallot(
    ballot: { voteId: string; agentId: string; option: string; comment: string | null; castAt: string },
    admit: BallotRule,
    close: CloseRule,
    closedAt: string,
  ): Promise<CastOutcome>;
  /** Applies `close` to an open vote in one transaction; `closed` is true if this call closed it. */
  closeVote(
    id: string,
    close: CloseRule,
    closedAt: string,
  ): Promise<{ closed: boolean; state: VoteWithBallots } | undefined>;
  /** Ids of open votes whose deadline is at or before `now`. */
  dueVotes(now: string, limit: number): Promise<string[]>;
}
