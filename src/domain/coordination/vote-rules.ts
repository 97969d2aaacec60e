/**
 * How votes are decided. Pure functions of the vote and its ballots, run inside the store's write
 * transaction. N = participants, T = votes cast, r = N - T still missing; each vote is final.
 *
 * Before the deadline a vote closes as soon as its outcome is certain whatever the missing voters do:
 * - majority: an option chosen by more than half of all N participants wins. If no option can any
 *   longer get more than half of the votes cast (even if every missing voter picked it), the vote
 *   is decided with no result.
 * - unanimous: every participant chose the same option → it wins. Two different options cast → decided
 *   with no result (unanimity is impossible).
 * - quorum (k): the first option to reach k votes wins. If no option can reach k any more → decided
 *   with no result.
 * At the deadline the votes present decide; missing votes count as abstentions:
 * - majority: the option with more than half of the votes cast wins; a tie, or no votes, → no result.
 * - unanimous: needs every participant, so any missing vote → no result.
 * - quorum (k): an option with k votes would already have won → no result.
 * A vote closed at the deadline without a result has status `expired`; otherwise `decided`.
 *
 * Which ballots a vote takes (admitBallot) is decided here too: only from participants, only while
 * open, once each (the same option again changes nothing; another option is refused).
 */
import type {
  BallotRecord,
  BallotRefusal,
  VoteClosing,
  VoteRecord,
  VoteWithBallots,
} from '../../store/coordination.js';

/** Whether the vote, as it is, takes this ballot: the refusal, or null to record it. */
export function admitBallot(
  state: VoteWithBallots,
  ballot: { agentId: string; option: string },
): BallotRefusal | null {
  const mine = state.ballots.find((b) => b.agentId === ballot.agentId);
  if (!mine) return { kind: 'not_participant', state };
  if (mine.option !== null) {
    return mine.option === ballot.option
      ? { kind: 'unchanged', state }
      : { kind: 'already_voted', previous: mine, state };
  }
  if (state.vote.status !== 'open') return { kind: 'closed', state };
  return null;
}

export interface Tally {
  counts: Map<string, number>;
  cast: number;
  missing: number;
}

export function tally(vote: VoteRecord, ballots: BallotRecord[]): Tally {
  const counts = new Map(vote.options.map((o) => [o, 0]));
  let cast = 0;
  for (const b of ballots) {
    if (b.option === null) continue;
    counts.set(b.option, (counts.get(b.option) ?? 0) + 1);
    cast++;
  }
  return { counts, cast, missing: ballots.length - cast };
}

/** The options with the most votes, in the order the options were given. */
function leaders(t: Tally): { options: string[]; count: number } {
  let count = 0;
  let options: string[] = [];
  for (const [option, n] of t.counts) {
    if (n > count) {
      count = n;
      options = [option];
    } else if (n === count && n > 0) options.push(option);
  }
  return { options, count };
}

const q = (s: string) => JSON.stringify(s);
const decided = (result: string | null, reason: string): VoteClosing => ({
  status: 'decided',
  result,
  reason,
});

/** Before the deadline: the closing if the outcome is already certain, else null. */
export function decideEarly(vote: VoteRecord, ballots: BallotRecord[]): VoteClosing | null {
  const t = tally(vote, ballots);
  const n = ballots.length;
  const lead = leaders(t);
  switch (vote.rule) {
    case 'majority': {
      if (lead.options.length === 1 && lead.count * 2 > n) {
        return decided(
          lead.options[0],
          `${q(lead.options[0])} has ${lead.count} of ${n} participants' votes (more than half)`,
        );
      }
      const anyCanWin = [...t.counts.values()].some((c) => 2 * c + t.missing > t.cast);
      if (!anyCanWin) {
        return decided(
          null,
          t.missing === 0 && lead.options.length > 1
            ? `tie: ${lead.options.map(q).join(' and ')} have ${lead.count} votes each`
            : `no option can get more than half of the votes cast any more`,
        );
      }
      return null;
    }
    case 'unanimous': {
      const chosen = [...t.counts].filter(([, c]) => c > 0).map(([o]) => o);
      if (chosen.length > 1) {
        return decided(null, `not unanimous: votes for ${chosen.map(q).join(' and ')}`);
      }
      if (t.missing === 0 && chosen.length === 1) {
        return decided(chosen[0], `all ${n} participants chose ${q(chosen[0])}`);
      }
      return null;
    }
    case 'quorum': {
      const k = vote.quorum ?? n;
      if (lead.count >= k) {
        return decided(lead.options[0], `${q(lead.options[0])} reached the quorum of ${k} votes`);
      }
      if ([...t.counts.values()].every((c) => c + t.missing < k)) {
        return decided(null, `no option can reach the quorum of ${k} votes any more`);
      }
      return null;
    }
  }
}

/** At the deadline: always closes, deciding with the votes present. */
export function decideAtDeadline(vote: VoteRecord, ballots: BallotRecord[]): VoteClosing {
  const early = decideEarly(vote, ballots);
  if (early) return early;
  const t = tally(vote, ballots);
  const lead = leaders(t);
  const absent = `${t.missing} of ${ballots.length} participants did not vote`;
  const expired = (reason: string): VoteClosing => ({ status: 'expired', result: null, reason });
  switch (vote.rule) {
    case 'majority':
      if (t.cast === 0) return expired('deadline passed with no votes cast');
      if (lead.options.length === 1 && lead.count * 2 > t.cast) {
        return decided(
          lead.options[0],
          `deadline passed: ${q(lead.options[0])} has ${lead.count} of the ${t.cast} votes cast (more than half); ${absent}`,
        );
      }
      if (lead.options.length > 1) {
        return expired(
          `deadline passed with a tie: ${lead.options.map(q).join(' and ')} have ${lead.count} votes each; ${absent}`,
        );
      }
      return expired(`deadline passed: no option has more than half of the ${t.cast} votes cast; ${absent}`);
    case 'unanimous':
      return expired(`deadline passed: ${absent}, and unanimity needs every participant`);
    case 'quorum':
      return expired(`deadline passed: no option reached the quorum of ${vote.quorum} votes; ${absent}`);
  }
}
