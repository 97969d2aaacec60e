/** Operations on messages: send, inbox, wait, read, ack, threads, search, topics. */
import { z } from 'zod';
import { HubError } from '../core/errors.js';
import { ADDRESS_FORMS } from '../domain/messages/addressing.js';
import { SEARCH_LIMITS } from '../domain/messages/search-query.js';
import type { SendInput } from '../domain/messages/service.js';
import { actingAgent, viewerOf } from './acting.js';
import { importance, messageView } from '../core/wire/index.js';
import { actingAgentId, body, idString, inboxResult, limit } from './schemas.js';
import { defineOp } from './types.js';

const addressHint = `give ${ADDRESS_FORMS}`;

/** `to`: every way it can be wrong says what it may be. */
export const address = z
  .union(
    [
      z
        .string()
        .min(1, { error: `empty; ${addressHint}` })
        .max(200, { error: `longer than 200 characters; ${addressHint}` }),
      z
        .array(idString)
        .min(1, { error: `the list of recipients is empty; ${addressHint}` })
        .max(1000, { error: 'a list names at most 1000 recipients; send to "ALL", a capability or a topic' }),
    ],
    {
      error: (issue) =>
        issue.input === undefined
          ? `missing; ${addressHint}`
          : `${issue.input === null ? 'null' : typeof issue.input} is not an address; ${addressHint}`,
    },
  )
  .describe('An agent id, a list of agent ids, "ALL", "capability:<name>" or "topic:<name>"');

const since = z
  .string()
  .max(64)
  .optional()
  .describe('A cursor from an earlier answer (next_cursor), or an ISO-8601 time');

export const sendMessage = defineOp({
  name: 'send_message',
  group: 'messages',
  summary: 'Send a message to an agent, a list, ALL, a capability or a topic',
  description:
    'Durable once this returns: recipients who are offline get it when they come back. A resend with the same ' +
    'idempotency_key returns the first send’s result and stores nothing new.',
  access: 'agent',
  http: { method: 'POST', path: '/api/v1/messages' },
  input: z.strictObject({
    from: actingAgentId,
    to: address,
    type: z
      .string()
      .regex(
        /^[a-z][a-z0-9_]{0,63}$/,
        'type is one lower-case word (letters, digits, _), e.g. request, response, ping',
      )
      .optional()
      .describe(
        'ping, ack, request, response, broadcast, heartbeat, task_proposal, task_accept, or any lower-case word; default message',
      ),
    subject: z.string().max(500).optional(),
    body: body.optional().describe('Text or a JSON object'),
    message: body.optional().describe('Alias of body, as in the earlier Agent Communication Server API'),
    thread_id: idString.optional().describe('A thread you take part in (sent or received a message in)'),
    reply_to: idString
      .optional()
      .describe('A message you sent or received that this answers; the reply joins its thread'),
    correlation_id: z.string().min(1).max(256).optional(),
    importance: importance.optional(),
    ack_required: z.boolean().optional(),
    ttl_seconds: z
      .number()
      .int()
      .min(1)
      .max(30 * 24 * 3600)
      .optional()
      .describe('Not delivered after this many seconds'),
    idempotency_key: z.string().min(1).max(256).optional(),
  }),
  output: z.object({
    success: z.literal(true),
    message_id: z.string(),
    thread_id: z.string(),
    recipients: z.array(z.string()),
    created_at: z.string(),
    expires_at: z.string().nullable(),
    duplicate: z.boolean(),
    warning: z
      .string()
      .optional()
      .describe(
        'Set when the message reached no one: "ALL" alone in a project, or a topic nobody subscribes to',
      ),
  }),
  async handler(ctx, input) {
    const me = await actingAgent(ctx, input.from, 'from');
    const result = await ctx.services.messages.send(me, toSendInput(input), {
      admin: ctx.caller.kind === 'admin',
    });
    return { success: true as const, ...result };
  },
});

/** send_message's validated input as the message service takes it (`message` is an alias of `body`). */
export function toSendInput(input: z.output<typeof sendMessage.input>): SendInput {
  if (input.body !== undefined && input.message !== undefined) {
    throw new HubError('invalid_input', 'Give the message text in body or in message, not both');
  }
  const { from: _f, message, ...rest } = input;
  return { ...rest, body: input.body ?? message };
}

export const checkInbox = defineOp({
  name: 'check_inbox',
  group: 'messages',
  summary: 'Read your inbox: unread messages, or everything after a cursor',
  description:
    'Without since: your unread messages, oldest first. With since: every message after that cursor (read or not). ' +
    'Returned messages count as read unless mark_read is false.',
  access: 'agent',
  http: { method: 'GET', path: '/api/v1/messages' },
  annotations: { readOnly: false },
  input: z.strictObject({
    agent_id: actingAgentId,
    since,
    limit: limit(500, 50),
    unread_only: z.boolean().optional(),
    mark_read: z.boolean().optional(),
  }),
  output: inboxResult,
  async handler(ctx, input) {
    const me = await actingAgent(ctx, input.agent_id);
    return ctx.services.messages.inbox(me.id, input);
  },
});

export const waitForMessages = defineOp({
  name: 'wait_for_messages',
  group: 'messages',
  summary: 'Block until a message arrives (or the timeout passes) and return what arrived',
  description:
    'Returns at once if unread messages (or messages after since) are waiting. Otherwise wakes the moment one ' +
    'arrives. timeout_seconds defaults to 25 (under MCP clients’ 60 s request timeout) and is capped at 300. ' +
    'Sends progress notifications while it waits if you give a progress token.',
  access: 'agent',
  blocking: true,
  http: { method: 'GET', path: '/api/v1/messages/wait' },
  input: z.strictObject({
    agent_id: actingAgentId,
    timeout_seconds: z.number().min(0).max(300).optional(),
    since,
    limit: limit(500, 50),
  }),
  output: inboxResult.extend({ timed_out: z.boolean() }),
  async handler(ctx, input) {
    const me = await actingAgent(ctx, input.agent_id);
    const progress = ctx.progress;
    return ctx.services.messages.wait(
      me.id,
      input,
      ctx.signal,
      progress
        ? (elapsed, total) => progress(elapsed, total, `waiting for messages (${elapsed}s)`)
        : undefined,
    );
  },
});

export const ackMessage = defineOp({
  name: 'ack_message',
  group: 'messages',
  summary: 'Acknowledge messages you received; senders are notified',
  access: 'agent',
  http: { method: 'POST', path: '/api/v1/messages/ack' },
  annotations: { idempotent: true },
  input: z.strictObject({
    agent_id: actingAgentId,
    message_ids: z.array(idString).min(1).max(1000),
  }),
  output: z.object({ success: z.literal(true), acked: z.array(z.string()), unknown: z.array(z.string()) }),
  async handler(ctx, input) {
    const me = await actingAgent(ctx, input.agent_id);
    return { success: true as const, ...(await ctx.services.messages.ack(me.id, input.message_ids)) };
  },
});

export const markRead = defineOp({
  name: 'mark_read',
  group: 'messages',
  summary: 'Mark messages in your inbox as read',
  access: 'agent',
  http: { method: 'POST', path: '/api/v1/messages/read' },
  annotations: { idempotent: true },
  input: z.strictObject({ agent_id: actingAgentId, message_ids: z.array(idString).min(1).max(1000) }),
  output: z.object({ success: z.literal(true), marked: z.number().int() }),
  async handler(ctx, input) {
    const me = await actingAgent(ctx, input.agent_id);
    return { success: true as const, marked: await ctx.services.messages.markRead(me.id, input.message_ids) };
  },
});

export const getMessage = defineOp({
  name: 'get_message',
  group: 'messages',
  summary: 'One message, with who has read and acknowledged it',
  access: 'agent',
  http: { method: 'GET', path: '/api/v1/messages/:message_id' },
  annotations: { readOnly: true },
  input: z.strictObject({ message_id: idString }),
  output: z.object({
    message: messageView,
    deliveries: z.array(
      z.object({
        agent_id: z.string(),
        cursor: z.string(),
        read_at: z.string().nullable(),
        acked_at: z.string().nullable(),
      }),
    ),
  }),
  async handler(ctx, input) {
    return ctx.services.messages.get(viewerOf(ctx), input.message_id);
  },
});

export const getThread = defineOp({
  name: 'get_thread',
  group: 'messages',
  summary: 'A thread’s messages in order (those you sent or received)',
  description:
    'Oldest first, at most limit of the messages you sent or received in the thread. A thread you take no part ' +
    'in answers not_found, as one that does not exist.',
  access: 'agent',
  http: { method: 'GET', path: '/api/v1/threads/:thread_id' },
  annotations: { readOnly: true },
  input: z.strictObject({ thread_id: idString, limit: limit(1000, 200) }),
  output: z.object({ thread_id: z.string(), messages: z.array(messageView) }),
  async handler(ctx, input) {
    const messages = await ctx.services.messages.thread(viewerOf(ctx), input.thread_id, input.limit);
    return { thread_id: input.thread_id, messages };
  },
});

export const searchMessages = defineOp({
  name: 'search_messages',
  group: 'messages',
  summary: 'Full-text search over the subjects and bodies of messages you sent or received',
  description:
    `Plain words, every one required (punctuation and operators are ignored); at most ${SEARCH_LIMITS.maxTerms} ` +
    `words and ${SEARCH_LIMITS.maxQueryChars} characters. Newest first.`,
  access: 'agent',
  http: { method: 'GET', path: '/api/v1/messages/search' },
  annotations: { readOnly: true },
  input: z.strictObject({
    query: z
      .string()
      .min(1, { error: 'give at least one word to search for' })
      .max(SEARCH_LIMITS.maxQueryChars, {
        error: `a search query is at most ${SEARCH_LIMITS.maxQueryChars} characters`,
      }),
    limit: limit(200, 20),
  }),
  output: z.object({ messages: z.array(messageView), total: z.number().int() }),
  async handler(ctx, input) {
    const messages = await ctx.services.messages.search(viewerOf(ctx), input.query, input.limit);
    return { messages, total: messages.length };
  },
});

const topicResult = z.object({ topic: z.string(), subscribed: z.boolean(), topics: z.array(z.string()) });

export const subscribeTopic = defineOp({
  name: 'subscribe_topic',
  group: 'messages',
  summary: 'Receive messages sent to topic:<name>',
  access: 'agent',
  http: { method: 'POST', path: '/api/v1/topics/subscribe' },
  annotations: { idempotent: true },
  input: z.strictObject({ agent_id: actingAgentId, topic: z.string().min(1).max(128) }),
  output: topicResult,
  async handler(ctx, input) {
    const me = await actingAgent(ctx, input.agent_id);
    return ctx.services.messages.subscribe(me.id, input.topic);
  },
});

export const unsubscribeTopic = defineOp({
  name: 'unsubscribe_topic',
  group: 'messages',
  summary: 'Stop receiving messages sent to topic:<name>',
  access: 'agent',
  http: { method: 'POST', path: '/api/v1/topics/unsubscribe' },
  annotations: { idempotent: true },
  input: z.strictObject({ agent_id: actingAgentId, topic: z.string().min(1).max(128) }),
  output: topicResult,
  async handler(ctx, input) {
    const me = await actingAgent(ctx, input.agent_id);
    return ctx.services.messages.unsubscribe(me.id, input.topic);
  },
});

export const listTopics = defineOp({
  name: 'list_topics',
  group: 'messages',
  summary: 'The topics you are subscribed to',
  access: 'agent',
  http: { method: 'GET', path: '/api/v1/topics' },
  annotations: { readOnly: true },
  input: z.strictObject({ agent_id: actingAgentId }),
  output: z.object({ topics: z.array(z.string()) }),
  async handler(ctx, input) {
    const me = await actingAgent(ctx, input.agent_id);
    return { topics: await ctx.services.messages.topics(me.id) };
  },
});

export const messageOps = [
  sendMessage,
  checkInbox,
  waitForMessages,
  ackMessage,
  markRead,
  getMessage,
  getThread,
  searchMessages,
  subscribeTopic,
  unsubscribeTopic,
  listTopics,
] as const;
