/**
 * Thread digests: summarize_thread. In the `messages` group (tool profile messaging): it reads a
 * thread under the same rule as get_thread (the threads you take part in), so an agent in a
 * conversation finds it next to get_thread rather than among the project-wide analytics.
 */
import { z } from 'zod';
import { DIGEST_LIMITS } from '../domain/digests/limits.js';
import { viewerOf } from './acting.js';
import { idString } from './schemas.js';
import { defineOp } from './types.js';

const participant = z.object({ agent_id: z.string(), sent: z.number().int(), received: z.number().int() });

const digest = z.object({
  thread_id: z.string(),
  truncated: z
    .boolean()
    .describe(`True when the thread is longer than max_messages: the digest covers its newest messages`),
  participants: z.array(participant),
  turns: z.number().int().describe('Runs of consecutive messages by one sender'),
  speaker_changes: z.number().int(),
  messages: z.object({
    total: z.number().int().describe('Messages digested'),
    in_thread: z.number().int().describe('Messages of the thread you can read'),
    by_type: z.record(z.string(), z.number().int()),
  }),
  first_activity: z.string().nullable(),
  last_activity: z.string().nullable(),
  duration_seconds: z.number(),
  unanswered_requests: z.array(
    z.object({
      message_id: z.string(),
      from: z.string(),
      to: z.array(z.string()),
      subject: z.string().nullable(),
      asked_at: z.string(),
      waiting_seconds: z.number(),
    }),
  ),
  votes: z.array(
    z.object({
      vote_id: z.string(),
      proposal: z.string(),
      status: z.string(),
      result: z.string().nullable(),
      created_by: z.string(),
      created_at: z.string(),
    }),
  ),
  tasks: z.array(
    z.object({
      task_id: z.string(),
      title: z.string(),
      status: z.string(),
      assignee: z.string().nullable(),
      created_by: z.string(),
      created_at: z.string(),
    }),
  ),
  summary: z
    .object({
      text: z.string(),
      instance_id: z.string(),
      written_by: z.string().describe('The agent of the instance that wrote it'),
      requested_by: z.string().nullable(),
      messages_covered: z.number().int(),
      created_at: z.string(),
      up_to_date: z.boolean().describe('False when messages came into the thread after it was written'),
    })
    .nullable()
    .describe('The prose summary an instance wrote of your view of the thread, if any'),
});

export const summarizeThread = defineOp({
  name: 'summarize_thread',
  group: 'messages',
  summary: 'A thread’s digest: participants, turns, counts, span, unanswered requests, its votes and tasks',
  description:
    'From the messages you sent or received in a thread you take part in (the admin: all), at most ' +
    `${DIGEST_LIMITS.maxMessages} of the newest. With by_instance, an instance you may drive first writes a ` +
    `prose summary (one turn, up to ${DIGEST_LIMITS.summaryChars} characters kept), stored with the thread and ` +
    'returned by every later call.',
  access: 'agent',
  blocking: true,
  http: { method: 'POST', path: '/api/v1/threads/:thread_id/summary' },
  input: z.strictObject({
    thread_id: idString,
    max_messages: z
      .number()
      .int()
      .min(1)
      .max(DIGEST_LIMITS.maxMessages)
      .optional()
      .describe(`Digest at most this many of the newest messages (default ${DIGEST_LIMITS.maxMessages})`),
    by_instance: idString
      .optional()
      .describe('An instance you may drive (as for send_to_instance) that writes and stores a prose summary'),
    timeout_seconds: z
      .number()
      .min(1)
      .max(DIGEST_LIMITS.maxWaitSeconds)
      .optional()
      .describe(`How long to wait for the instance's summary (default ${DIGEST_LIMITS.defaultWaitSeconds})`),
  }),
  output: digest,
  async handler(ctx, input) {
    const id = viewerOf(ctx);
    const viewer = id ? await ctx.services.agents.requireActive(id) : null;
    return ctx.services.digests.summarize(ctx.caller, viewer, input, ctx.signal);
  },
});

export const digestOps = [summarizeThread] as const;
