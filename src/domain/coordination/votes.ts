/**
 * Votes: a proposal with options put to a fixed set of participants under a rule (majority,
 * unanimous, quorum of k) with a deadline. Each participant votes once; a vote is final (casting the
 * same option again changes nothing, a different one is refused with `conflict`). The vote closes as
 * soon as its outcome is certain, or at the deadline with the votes present (see vote-rules.ts).
 * Votes and deadlines live in the store, so a restarted hub closes overdue votes on its next sweep.
 */
import { channels } from '../../bus/bus.js';
import { voteChannel } from '../../bus/coordination-events.js';
import { conflict, forbidden, HubError, invalid, notFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { iso } from '../../core/time.js';
import type {
  CloseRule,
  VoteRecord,
  VoteRule,
  VoteStatus,
  VoteWithBallots,
} from '../../store/coordination.js';
import type { AgentRecord } from '../../store/types.js';
import type { DomainDeps } from '../deps.js';
import type { Services } from '../index.js';
import { requireThreadOf } from '../messages/threads.js';
import { admitBallot, decideAtDeadline, decideEarly } from './vote-rules.js';
import type { VoteView } from '../../core/wire/index.js';
import { voteView } from './vote-views.js';
import { type WaitProgress, Waiter } from '../../bus/waiter.js';

export const MAX_VOTE_SECONDS = 7 * 24 * 3600;
export const DEFAULT_VOTE_SECONDS = 3600;

export interface StartVoteInput {
  proposal: string;
  options: string[];
  participants?: string[];
  capability?: string;
  rule: VoteRule;
  quorum?: number;
  deadline_seconds?: number;
  deadline?: string;
  /** The thread this vote comes out of: one the starter takes part in (the vote_request goes into it). */
  thread_id?: string;
}

export interface CastVoteInput {
  vote_id: string;
  option: string;
  comment?: string;
}

export class Votes {
  constructor(
    private readonly d: DomainDeps,
    private readonly services: Services,
  ) {}

  private now(): string {
    return iso(this.d.clock.now());
  }

  /** `opts.admin`: the admin starts it for `me` and may name any thread. */
  async start(me: AgentRecord, input: StartVoteInput, opts: { admin?: boolean } = {}): Promise<VoteView> {
    const options = input.options;
    const duplicate = options.find((o, i) => options.indexOf(o) !== i);
    if (duplicate !== undefined) invalidField('options', `${JSON.stringify(duplicate)} is given twice`);
    const threadId =
      input.thread_id === undefined
        ? null
        : await requireThreadOf(this.d.store, me, input.thread_id, opts.admin === true);
    const participants = await this.participants(me, input);
    const quorum = this.quorum(input, participants.length);
    const nowMs = this.d.clock.now();
    const deadline = this.deadline(input, nowMs);
    const vote: VoteRecord = {
      id: newId('vote'),
      proposal: input.proposal,
      options,
      rule: input.rule,
      quorum,
      participants,
      createdBy: me.id,
      project: me.project,
      threadId,
      createdAt: iso(nowMs),
      deadline,
      status: 'open',
      result: null,
      reason: null,
      closedAt: null,
    };
    await this.d.store.coordination.insertVote(vote);
    const view = voteView({
      vote,
      ballots: participants.map((agentId) => ({
        voteId: vote.id,
        agentId,
        option: null,
        comment: null,
        castAt: null,
      })),
    });
    const others = participants.filter((id) => id !== me.id);
    if (others.length > 0) {
      try {
        await this.services.messages.send(
          me,
          {
            to: others,
            type: 'vote_request',
            ...(threadId ? { thread_id: threadId } : {}),
            subject: `Vote: ${input.proposal.slice(0, 200)}`,
            body: {
              vote_id: vote.id,
              proposal: vote.proposal,
              options,
              rule: vote.rule,
              quorum,
              deadline,
              how: `cast_vote with vote_id "${vote.id}" and one of the options`,
            },
          },
          { admin: opts.admin },
        );
      } catch (err) {
        await this.d.store.coordination.deleteVote(vote.id);
        throw err;
      }
    }
    const event = { type: 'vote.started' as const, at: vote.createdAt, vote: view };
    this.d.bus.publish(channels.all, event);
    for (const id of participants) this.d.bus.publish(channels.agent(id), event);
    return view;
  }

  private async participants(me: AgentRecord, input: StartVoteInput): Promise<string[]> {
    if ((input.participants === undefined) === (input.capability === undefined)) {
      invalidField(
        'participants',
        'give either participants (a list of agent ids) or capability, not both or neither',
      );
    }
    if (input.capability !== undefined) {
      const agents = await this.d.store.listAgents({ capability: input.capability, project: me.project });
      if (agents.length === 0) {
        throw new HubError(
          'not_found',
          `capability: no agent with capability ${JSON.stringify(input.capability)} is registered to vote`,
        );
      }
      return agents.map((a) => a.id);
    }
    const ids = [...new Set(input.participants)];
    const problems: string[] = [];
    for (const id of ids) {
      const agent = await this.services.agents.find(id);
      if (!agent || agent.project !== me.project) problems.push(`${id} is not registered`);
      else if (agent.retiredAt) problems.push(`${id} is retired`);
    }
    if (problems.length > 0) throw new HubError('not_found', `participants: ${problems.join('; ')}`);
    return ids;
  }

  private quorum(input: StartVoteInput, n: number): number | null {
    if (input.rule !== 'quorum') {
      if (input.quorum !== undefined)
        invalidField('quorum', `only the quorum rule takes a quorum, not ${input.rule}`);
      return null;
    }
    if (input.quorum === undefined)
      invalidField('quorum', 'the quorum rule needs quorum: k (how many votes an option needs)');
    if (input.quorum > n) invalidField('quorum', `${input.quorum} is more than the ${n} participants`);
    return input.quorum;
  }

  private deadline(input: StartVoteInput, nowMs: number): string {
    if (input.deadline !== undefined && input.deadline_seconds !== undefined) {
      invalidField('deadline', 'give deadline (an ISO time) or deadline_seconds, not both');
    }
    if (input.deadline === undefined)
      return iso(nowMs + (input.deadline_seconds ?? DEFAULT_VOTE_SECONDS) * 1000);
    const at = Date.parse(input.deadline);
    if (Number.isNaN(at)) invalidField('deadline', 'must be an ISO-8601 time');
    if (at <= nowMs) invalidField('deadline', `${input.deadline} has already passed`);
    if (at - nowMs > MAX_VOTE_SECONDS * 1000) invalidField('deadline', 'must be within 7 days');
    return iso(at);
  }

  async cast(me: AgentRecord, input: CastVoteInput): Promise<{ recorded: boolean; vote: VoteView }> {
    const state = await this.visible(me.id, input.vote_id);
    if (!state.vote.options.includes(input.option)) {
      invalidField(
        'option',
        `${JSON.stringify(input.option)} is not an option; choose one of ${state.vote.options.map((o) => JSON.stringify(o)).join(', ')}`,
      );
    }
    await this.closeIfDue(state);
    const castAt = this.now();
    const outcome = await this.d.store.coordination.castBallot(
      { voteId: input.vote_id, agentId: me.id, option: input.option, comment: input.comment ?? null, castAt },
      admitBallot,
      this.rule(castAt),
      castAt,
    );
    switch (outcome.kind) {
      case 'not_found':
        throw notFound(`Vote ${input.vote_id}`);
      case 'not_participant':
        throw forbidden(`You (${me.id}) are not a participant of vote ${input.vote_id}`);
      case 'already_voted':
        throw conflict(
          `You voted ${JSON.stringify(outcome.previous.option)} in vote ${input.vote_id} already; votes are final`,
          { previous: outcome.previous.option },
        );
      case 'closed':
        throw conflict(
          `Vote ${input.vote_id} is ${outcome.state.vote.status} (result ${JSON.stringify(outcome.state.vote.result)}); it takes no more votes`,
        );
      case 'unchanged':
        return { recorded: false, vote: voteView(outcome.state) };
      case 'cast': {
        const event = {
          type: 'vote.cast' as const,
          at: castAt,
          vote_id: input.vote_id,
          agent_id: me.id,
          option: input.option,
        };
        this.d.bus.publish(channels.all, event);
        this.d.bus.publish(voteChannel(input.vote_id), event);
        if (outcome.state.vote.createdBy !== me.id)
          this.d.bus.publish(channels.agent(outcome.state.vote.createdBy), event);
        if (outcome.closed) this.publishClosed(outcome.state);
        return { recorded: true, vote: voteView(outcome.state) };
      }
    }
  }

  async get(viewer: string | null, voteId: string): Promise<VoteView> {
    const state = await this.visible(viewer, voteId);
    return voteView((await this.closeIfDue(state)) ?? state);
  }

  async list(viewer: string | null, filter: { status?: VoteStatus; limit?: number }): Promise<VoteView[]> {
    const found = await this.d.store.coordination.listVotes({
      viewer,
      status: filter.status,
      limit: filter.limit ?? 50,
    });
    return found.map(voteView);
  }

  /** Blocks until the vote closes (at the latest at its deadline) or `timeoutSeconds` pass. */
  async wait(
    viewer: string | null,
    voteId: string,
    timeoutSeconds: number | undefined,
    signal?: AbortSignal,
    progress?: WaitProgress,
  ): Promise<{ vote: VoteView; timed_out: boolean }> {
    await this.visible(viewer, voteId);
    const { messages } = this.d.config;
    const seconds = Math.min(timeoutSeconds ?? messages.defaultWaitSeconds, messages.maxWaitSeconds);
    const waiter = new Waiter(this.d.bus, [voteChannel(voteId)], (e) => e.type === 'vote.closed');
    const check = async () => {
      const state = await this.d.store.coordination.getVote(voteId);
      if (!state) throw notFound(`Vote ${voteId}`);
      const current = (await this.closeIfDue(state)) ?? state;
      return current.vote.status === 'open' ? undefined : current;
    };
    try {
      const state = await this.d.store.coordination.getVote(voteId);
      const untilDeadline = state ? Date.parse(state.vote.deadline) - this.d.clock.now() : 0;
      const timeoutMs = Math.max(0, Math.min(seconds * 1000, untilDeadline + 50));
      const closed = (await waiter.until(check, { timeoutMs, signal, progress })) ?? (await check());
      if (closed) return { vote: voteView(closed), timed_out: false };
      return { vote: voteView((await this.d.store.coordination.getVote(voteId))!), timed_out: true };
    } finally {
      waiter.close();
    }
  }

  /** Closes every open vote whose deadline has passed; returns how many it closed. */
  async sweep(): Promise<number> {
    let closed = 0;
    for (;;) {
      const due = await this.d.store.coordination.dueVotes(this.now(), 100);
      for (const id of due) {
        const state = await this.d.store.coordination.getVote(id);
        if (state && (await this.closeIfDue(state))) closed++;
      }
      if (due.length < 100) return closed;
    }
  }

  /** The close rule at `at`: certain outcomes before the deadline, the votes present after it. */
  private rule(at: string): CloseRule {
    return (vote, ballots) =>
      vote.deadline <= at ? decideAtDeadline(vote, ballots) : decideEarly(vote, ballots);
  }

  /** If the vote is open past its deadline, closes it now; returns the new state if this call closed it. */
  private async closeIfDue(state: VoteWithBallots): Promise<VoteWithBallots | undefined> {
    const at = this.now();
    if (state.vote.status !== 'open' || state.vote.deadline > at) return undefined;
    const done = await this.d.store.coordination.closeVote(state.vote.id, this.rule(at), at);
    if (!done) return undefined;
    if (done.closed) this.publishClosed(done.state);
    return done.state;
  }

  private publishClosed(state: VoteWithBallots): void {
    const event = {
      type: 'vote.closed' as const,
      at: state.vote.closedAt ?? this.now(),
      vote: voteView(state),
    };
    this.d.bus.publish(channels.all, event);
    this.d.bus.publish(voteChannel(state.vote.id), event);
    for (const id of new Set([state.vote.createdBy, ...state.vote.participants])) {
      this.d.bus.publish(channels.agent(id), event);
    }
  }

  /** The vote if the viewer started it or takes part (the admin, viewer null, sees all). */
  private async visible(viewer: string | null, voteId: string): Promise<VoteWithBallots> {
    const state = await this.d.store.coordination.getVote(voteId);
    if (
      !state ||
      (viewer !== null && state.vote.createdBy !== viewer && !state.vote.participants.includes(viewer))
    ) {
      throw notFound(`Vote ${voteId}`);
    }
    return state;
  }
}

function invalidField(field: string, problem: string): never {
  throw invalid(`${field}: ${problem}`);
}
