/** Operations for votes: start one, cast, read, list, and wait for the result. */
import { z } from 'zod';
import { voteStatus, voteView } from '../../core/wire/index.js';
import { actingAgent, viewerOf } from '../acting.js';
import { actingAgentId, idString, limit } from '../schemas.js';
import { defineOp } from '../types.js';

const RULES_TEXT =
  'majority: over half of the N participants (at the deadline: of the votes cast); unanimous: all N agree; ' +
  'quorum: first option to k votes. Votes are final; it closes once the outcome is certain (decided, result ' +
  'null if none can win), else expires at the deadline.';

export const startVote = defineOp({
  name: 'start_vote',
  group: 'coordination',
  summary: 'Put a proposal with options to a vote among agents (majority, unanimous or quorum of k)',
  description:
    'Participants (agent ids, or all with a capability, fixed at the start) each get a vote_request message. ' +
    RULES_TEXT,
  access: 'agent',
  http: { method: 'POST', path: '/api/v1/votes' },
  input: z.strictObject({
    agent_id: actingAgentId,
    proposal: z.string().min(1).max(4000),
    options: z.array(z.string().min(1).max(200)).min(2).max(20).describe('2 to 20 distinct options'),
    participants: z.array(idString).min(1).max(1000).optional().describe('Agent ids who vote'),
    capability: z.string().min(1).max(128).optional().describe('Or: every agent with this capability votes'),
    rule: z.enum(['majority', 'unanimous', 'quorum']),
    quorum: z.number().int().min(1).optional().describe('k, for the quorum rule: votes an option needs'),
    deadline_seconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3600)
      .optional()
      .describe('Seconds from now until the deadline (default 3600)'),
    deadline: z.string().max(64).optional().describe('Or: the deadline as an ISO-8601 time'),
    thread_id: idString
      .optional()
      .describe('The thread this vote comes out of (one you take part in); the vote_request goes into it'),
  }),
  output: voteView,
  async handler(ctx, input) {
    const me = await actingAgent(ctx, input.agent_id);
    return ctx.services.coordination.votes.start(me, input, { admin: ctx.caller.kind === 'admin' });
  },
});

export const castVote = defineOp({
  name: 'cast_vote',
  group: 'coordination',
  summary: 'Vote on an open vote you take part in (one vote each; votes are final)',
  description:
    'Casting the option you already chose again changes nothing (recorded: false); a different option after ' +
    'voting is refused with conflict. The answer is the vote after your ballot, decided if yours settled it.',
  access: 'agent',
  http: { method: 'POST', path: '/api/v1/votes/:vote_id/cast' },
  input: z.strictObject({
    agent_id: actingAgentId,
    vote_id: idString,
    option: z.string().min(1).max(200),
    comment: z.string().max(2000).optional().describe('Why you voted so; shown with your vote'),
  }),
  output: z.object({ recorded: z.boolean(), vote: voteView }),
  async handler(ctx, input) {
    const me = await actingAgent(ctx, input.agent_id);
    return ctx.services.coordination.votes.cast(me, input);
  },
});

export const getVote = defineOp({
  name: 'get_vote',
  group: 'coordination',
  summary: 'A vote: status, result, tally, who voted what and who has not',
  access: 'agent',
  http: { method: 'GET', path: '/api/v1/votes/:vote_id' },
  annotations: { readOnly: true },
  input: z.strictObject({ vote_id: idString }),
  output: voteView,
  async handler(ctx, input) {
    return ctx.services.coordination.votes.get(viewerOf(ctx), input.vote_id);
  },
});

export const listVotes = defineOp({
  name: 'list_votes',
  group: 'coordination',
  summary: 'Votes you started or take part in, newest first (the admin sees all)',
  access: 'agent',
  http: { method: 'GET', path: '/api/v1/votes' },
  annotations: { readOnly: true },
  input: z.strictObject({ status: voteStatus.optional(), limit: limit(200, 50) }),
  output: z.object({ votes: z.array(voteView), total: z.number().int() }),
  async handler(ctx, input) {
    const votes = await ctx.services.coordination.votes.list(viewerOf(ctx), input);
    return { votes, total: votes.length };
  },
});

export const waitForVote = defineOp({
  name: 'wait_for_vote',
  group: 'coordination',
  summary: 'Block until a vote is decided (or its deadline passes), or the timeout passes',
  description:
    'Returns at once if the vote has closed. timeout_seconds defaults to 25 and is capped at 300; timed_out ' +
    'is true if the vote is still open then. Sends progress notifications while it waits.',
  access: 'agent',
  blocking: true,
  http: { method: 'GET', path: '/api/v1/votes/:vote_id/wait' },
  input: z.strictObject({
    vote_id: idString,
    timeout_seconds: z.number().min(0).max(300).optional(),
  }),
  output: z.object({ vote: voteView, timed_out: z.boolean() }),
  async handler(ctx, input) {
    const progress = ctx.progress;
    return ctx.services.coordination.votes.wait(
      viewerOf(ctx),
      input.vote_id,
      input.timeout_seconds,
      ctx.signal,
      progress
        ? (elapsed, total) => progress(elapsed, total, `waiting for the vote (${elapsed}s)`)
        : undefined,
    );
  },
});

export const voteOps = [startVote, castVote, getVote, listVotes, waitForVote] as const;
