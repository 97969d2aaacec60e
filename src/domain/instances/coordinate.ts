/**
 * coordinate_instances: one task, several instances, three ways. parallel sends it to all and collects
 * each turn's result; sequential passes each answer into the next one's prompt; consensus puts the
 * question to a hub vote (the coordination capability's start_vote/cast_vote) whose participants are
 * the instances' agents: each is asked for its position with the vote id and options, may cast its
 * ballot itself through the hub's cast_vote tool, and otherwise the option its answer names is cast
 * for it. The vote's rule decides.
 */
import type { Caller } from '../../core/caller.js';
import { HubError } from '../../core/errors.js';
import type { VoteRule } from '../../store/coordination.js';
import type { Services } from '../index.js';
import type { VoteView } from '../../core/wire/index.js';

export type CoordinationMode = 'parallel' | 'sequential' | 'consensus';

export interface CoordinateInput {
  instance_ids: string[];
  task: string;
  mode: CoordinationMode;
  /** consensus: the choices (at least two). */
  options?: string[];
  /** consensus: the vote's rule (default majority). */
  rule?: VoteRule;
  quorum?: number;
  /** For each instance's turn (and the vote). */
  timeout_seconds?: number;
}

export interface StepResult {
  instance_id: string;
  turn: number | null;
  status: 'completed' | 'failed' | 'timeout' | 'skipped';
  text: string | null;
  failure: string | null;
  /** consensus: the option counted for this instance, and whether the hub cast it from its answer. */
  position?: string | null;
  cast_by_hub?: boolean;
}

type SendFn = (
  caller: Caller,
  id: string,
  text: string,
  opts: { wait: boolean; timeoutSeconds?: number; signal?: AbortSignal },
) => Promise<{
  turn: number;
  status: string;
  text: string | null;
  failure: string | null;
}>;

/** The option an answer names: the one mentioned first (whole word, case-insensitive). */
export function optionIn(text: string, options: string[]): string | null {
  let best: { option: string; at: number } | null = null;
  for (const option of options) {
    const escaped = option.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const m = new RegExp(`(^|[^\\p{L}\\p{N}_])${escaped}($|[^\\p{L}\\p{N}_])`, 'iu').exec(text);
    if (m && (!best || m.index < best.at)) best = { option, at: m.index };
  }
  return best?.option ?? null;
}

export function consensusPrompt(task: string, voteId: string, options: string[]): string {
  return [
    task,
    '',
    'This is decided by a vote at the hub. Answer with exactly one of the options first, then your reason.',
    `vote_id: ${voteId}`,
    `options: ${options.join(' | ')}`,
    'Cast your ballot with the cast_vote tool (vote_id and option). If you do not, the option your answer names first is cast for you.',
  ].join('\n');
}

export async function coordinate(
  services: Services,
  send: SendFn,
  caller: Caller,
  input: CoordinateInput,
  signal?: AbortSignal,
): Promise<{
  mode: CoordinationMode;
  status: 'completed' | 'failed';
  results: StepResult[];
  final_text: string | null;
  decision: string | null;
  vote: VoteView | null;
}> {
  const ids = input.instance_ids;
  if (new Set(ids).size !== ids.length)
    throw new HubError('invalid_input', 'instance_ids: an instance is listed twice');
  // Every instance must exist and be visible before anything is sent.
  const views = await Promise.all(ids.map((id) => services.instances.status(caller, id)));
  const opts = { wait: true, timeoutSeconds: input.timeout_seconds, signal };
  const step = async (id: string, text: string): Promise<StepResult> => {
    const r = await send(caller, id, text, opts);
    return {
      instance_id: id,
      turn: r.turn,
      status: r.status as StepResult['status'],
      text: r.text,
      failure: r.failure,
    };
  };
  const failedAny = (rs: StepResult[]) => rs.some((r) => r.status !== 'completed');

  if (input.mode === 'parallel') {
    const results = await Promise.all(ids.map((id) => step(id, input.task).catch((err) => errored(id, err))));
    return {
      mode: 'parallel',
      status: failedAny(results) ? 'failed' : 'completed',
      results,
      final_text: null,
      decision: null,
      vote: null,
    };
  }

  if (input.mode === 'sequential') {
    const results: StepResult[] = [];
    let previous: { name: string; text: string } | null = null;
    for (const [i, id] of ids.entries()) {
      if (results.length && failedAny(results)) {
        results.push({
          instance_id: id,
          turn: null,
          status: 'skipped',
          text: null,
          failure: 'an earlier step failed',
        });
        continue;
      }
      const prompt: string = previous
        ? `${input.task}\n\nThe previous step (${previous.name}) answered:\n${previous.text}`
        : input.task;
      const r = await step(id, prompt).catch((err) => errored(id, err));
      results.push(r);
      previous = { name: views[i]!.name, text: r.text ?? '' };
    }
    const failed = failedAny(results);
    return {
      mode: 'sequential',
      status: failed ? 'failed' : 'completed',
      results,
      final_text: failed ? null : (results.at(-1)?.text ?? null),
      decision: null,
      vote: null,
    };
  }

  // consensus
  const options = input.options ?? [];
  if (options.length < 2)
    throw new HubError('invalid_input', 'options: consensus needs at least two options to vote on');
  const agents = await Promise.all(views.map((v) => services.agents.find(v.agent_id)));
  const creator =
    (caller.kind === 'agent' ? await services.agents.find(caller.agentId) : undefined) ?? agents[0]!;
  const timeout = input.timeout_seconds ?? 60;
  const vote = await services.coordination.votes.start(creator, {
    proposal: input.task,
    options,
    participants: views.map((v) => v.agent_id),
    rule: input.rule ?? 'majority',
    quorum: input.quorum,
    deadline_seconds: Math.max(1, Math.ceil(timeout)),
  });
  const prompt = consensusPrompt(input.task, vote.vote_id, options);
  const results = await Promise.all(
    ids.map(async (id, i): Promise<StepResult> => {
      const r = await step(id, prompt).catch((err) => errored(id, err));
      const agent = agents[i]!;
      const now = await services.coordination.votes.get(null, vote.vote_id);
      const mine = now.votes.find((b) => b.agent_id === agent.id);
      if (mine) return { ...r, position: mine.option, cast_by_hub: false };
      const option = r.status === 'completed' && r.text ? optionIn(r.text, options) : null;
      // Its answer is its position, even when the vote was already decided without it.
      if (!option || now.status !== 'open') return { ...r, position: option, cast_by_hub: false };
      const cast = await services.coordination.votes
        .cast(agent, { vote_id: vote.vote_id, option, comment: r.text?.slice(0, 500) })
        .then(() => true)
        .catch(() => false);
      return { ...r, position: option, cast_by_hub: cast };
    }),
  );
  const closed = await services.coordination.votes.wait(null, vote.vote_id, timeout, signal);
  const decision = closed.vote.status === 'open' ? null : closed.vote.result;
  return {
    mode: 'consensus',
    status: decision ? 'completed' : 'failed',
    results,
    final_text: null,
    decision,
    vote: closed.vote,
  };
}

function errored(id: string, err: unknown): StepResult {
  return {
    instance_id: id,
    turn: null,
    status: 'failed',
    text: null,
    failure: err instanceof Error ? err.message : String(err),
  };
}
