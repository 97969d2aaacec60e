/**
 * Thread digests: `summarize` computes a thread's digest from the stored messages the viewer may read
 * (the admin: all of them), with the votes and tasks that came out of it and the stored prose summary
 * of that same view; `byInstance` first has an agent instance the caller may drive write that summary
 * (one turn, bounded wait) and stores it. Visibility follows get_thread: a thread the viewer takes no
 * part in answers not_found, like one that does not exist.
 */
import type { Caller } from '../../core/caller.js';
import { HubError, notFound } from '../../core/errors.js';
import { iso } from '../../core/time.js';
import type { ThreadSummaryRecord } from '../../store/digests.js';
import type { AgentRecord, MessageRecord } from '../../store/types.js';
import type { DomainDeps } from '../deps.js';
import type { Services } from '../index.js';
import { DIGEST_LIMITS } from './limits.js';
import { summaryPrompt } from './prompt.js';
import { digestMessages, type MessageDigest } from './rules.js';

export interface SummarizeInput {
  thread_id: string;
  /** Digest at most this many of the newest messages (default and cap: DIGEST_LIMITS.maxMessages). */
  max_messages?: number;
  /** Have this instance write the prose summary first. */
  by_instance?: string;
  timeout_seconds?: number;
}

export interface ThreadDigest extends Omit<MessageDigest, 'messages'> {
  thread_id: string;
  truncated: boolean;
  messages: MessageDigest['messages'] & { in_thread: number };
  votes: Array<{
    vote_id: string;
    proposal: string;
    status: string;
    result: string | null;
    created_by: string;
    created_at: string;
  }>;
  tasks: Array<{
    task_id: string;
    title: string;
    status: string;
    assignee: string | null;
    created_by: string;
    created_at: string;
  }>;
  summary: {
    text: string;
    instance_id: string;
    written_by: string;
    requested_by: string | null;
    messages_covered: number;
    created_at: string;
    /** False when messages came into the thread after it was written. */
    up_to_date: boolean;
  } | null;
}

interface Gathered {
  messages: MessageRecord[];
  total: number;
  digest: MessageDigest;
  votes: ThreadDigest['votes'];
  tasks: ThreadDigest['tasks'];
}

export class DigestService {
  constructor(
    private readonly d: DomainDeps,
    private readonly services: Services,
  ) {}

  /** `viewer`: the agent whose view is digested (null: the admin, the whole thread). */
  async summarize(
    caller: Caller,
    viewer: AgentRecord | null,
    input: SummarizeInput,
    signal?: AbortSignal,
  ): Promise<ThreadDigest> {
    const limit = Math.min(input.max_messages ?? DIGEST_LIMITS.maxMessages, DIGEST_LIMITS.maxMessages);
    const g = await this.gather(viewer, input.thread_id, limit);
    const scope = viewer?.id ?? '*';
    if (input.by_instance !== undefined) {
      await this.writeSummary(caller, viewer, input, g, scope, signal);
    }
    const stored = await this.d.store.digests.getSummary(input.thread_id, scope);
    const { messages: counts, ...rest } = g.digest;
    return {
      thread_id: input.thread_id,
      truncated: g.total > g.messages.length,
      ...rest,
      messages: { ...counts, in_thread: g.total },
      votes: g.votes,
      tasks: g.tasks,
      summary: stored ? summaryView(stored, g.messages.at(-1)?.id) : null,
    };
  }

  private async gather(viewer: AgentRecord | null, threadId: string, limit: number): Promise<Gathered> {
    const { store } = this.d;
    if (viewer && !(await store.isThreadParticipant(threadId, viewer.id)))
      throw notFound(`Thread ${threadId}`);
    const { messages, total } = await store.digests.threadTail(threadId, viewer?.id ?? null, limit);
    if (messages.length === 0) throw notFound(`Thread ${threadId}`);
    const digest = digestMessages(messages, this.d.clock.now());
    const votes = await store.coordination.listVotes({
      viewer: viewer?.id ?? null,
      threadId,
      limit: DIGEST_LIMITS.maxLinked,
    });
    const tasks = await store.tasks.list({
      project: viewer?.project,
      threadId,
      limit: DIGEST_LIMITS.maxLinked,
    });
    return {
      messages,
      total,
      digest,
      // Oldest first, as the thread reads.
      votes: votes.reverse().map(({ vote: v }) => ({
        vote_id: v.id,
        proposal: v.proposal,
        status: v.status,
        result: v.result,
        created_by: v.createdBy,
        created_at: v.createdAt,
      })),
      tasks: tasks.reverse().map((t) => ({
        task_id: t.id,
        title: t.title,
        status: t.status,
        assignee: t.assignee,
        created_by: t.createdBy,
        created_at: t.createdAt,
      })),
    };
  }

  /**
   * One turn to the instance (the instances' own access rule decides whether this caller may drive
   * it: its owner, an ancestor instance's agent, or the admin), its answer stored, bounded.
   */
  private async writeSummary(
    caller: Caller,
    viewer: AgentRecord | null,
    input: SummarizeInput,
    g: Gathered,
    scope: string,
    signal?: AbortSignal,
  ): Promise<void> {
    const id = input.by_instance!;
    const instance = await this.services.instances.status(caller, id);
    const seconds = Math.min(
      input.timeout_seconds ?? DIGEST_LIMITS.defaultWaitSeconds,
      DIGEST_LIMITS.maxWaitSeconds,
    );
    const prompt = summaryPrompt(
      {
        threadId: input.thread_id,
        digest: g.digest,
        votes: g.votes.length,
        tasks: g.tasks.length,
        truncated: g.total > g.messages.length,
      },
      g.messages,
    );
    const turn = await this.services.instances.send(caller, id, prompt, {
      wait: true,
      timeoutSeconds: seconds,
      signal,
    });
    if (turn.status === 'timeout') {
      throw new HubError(
        'timeout',
        `by_instance: instance ${id} wrote no summary within ${seconds} s (timeout_seconds, at most ${DIGEST_LIMITS.maxWaitSeconds}); ` +
          'nothing was stored, its turn may still be running (get_instance_output)',
      );
    }
    if (turn.status !== 'completed') {
      throw new HubError(
        'unavailable',
        `by_instance: instance ${id} failed the summary turn (${turn.failure ?? 'no reason given'}); nothing was stored`,
      );
    }
    const text = (turn.text ?? '').trim();
    if (!text) {
      throw new HubError(
        'unavailable',
        `by_instance: instance ${id} answered with no text; nothing was stored`,
      );
    }
    const last = g.messages.at(-1)!;
    await this.d.store.digests.putSummary({
      threadId: input.thread_id,
      scope,
      summary: text.slice(0, DIGEST_LIMITS.summaryChars),
      instanceId: id,
      writtenBy: instance.agent_id,
      requestedBy: viewer?.id ?? null,
      messagesCovered: g.messages.length,
      lastMessageId: last.id,
      createdAt: iso(this.d.clock.now()),
    });
  }
}

function summaryView(s: ThreadSummaryRecord, lastMessageId: string | undefined): ThreadDigest['summary'] {
  return {
    text: s.summary,
    instance_id: s.instanceId,
    written_by: s.writtenBy,
    requested_by: s.requestedBy,
    messages_covered: s.messagesCovered,
    created_at: s.createdAt,
    up_to_date: s.lastMessageId === lastMessageId,
  };
}
