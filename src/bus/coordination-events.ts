/** Events of the coordination capability (added to HubEvent). */
import type { VoteView } from '../core/wire/index.js';

export type CoordinationEvent =
  /** To the participants' channels and hub-wide: a vote was put to them. */
  | { type: 'vote.started'; at: string; vote: VoteView }
  /** To the starter's channel, the vote's channel and hub-wide: a participant voted. */
  | { type: 'vote.cast'; at: string; vote_id: string; agent_id: string; option: string }
  /** To the starter's and participants' channels, the vote's channel and hub-wide: it closed. */
  | { type: 'vote.closed'; at: string; vote: VoteView };

/** One channel per vote, for the calls that wait on it. */
export const voteChannel = (voteId: string) => `vote:${voteId}`;
