/** Operations for request/response: ask one agent (or a group) and block until the first answer. */
import { z } from 'zod';
import { actingAgent } from '../acting.js';
import { address } from '../messages.js';
import { importance, messageView } from '../../core/wire/index.js';
import { actingAgentId, body, idString } from '../schemas.js';
import { defineOp } from '../types.js';

export const request = defineOp({
  name: 'request',
  group: 'coordination',
  summary: 'Ask an agent something and block until its response arrives (or a timeout error)',
  description:
    'Sends a request message with a fresh correlation_id and waits for the first response with it (respond, or ' +
    'send_message type "response"). After timeout_seconds (default 25, at most 300) it fails with timeout; a late ' +
    'answer still lands in your inbox.',
  access: 'agent',
  blocking: true,
  http: { method: 'POST', path: '/api/v1/requests' },
  input: z.strictObject({
    from: actingAgentId,
    to: address.describe(
      'An agent id, a list of agent ids, "ALL" or "capability:<name>"; the first response wins',
    ),
    subject: z.string().max(500).optional(),
    body: body.optional().describe('The question: text or a JSON object'),
    thread_id: idString.optional(),
    importance: importance.optional(),
    timeout_seconds: z
      .number()
      .positive()
      .max(300)
      .optional()
      .describe('How long to wait for the answer (default 25, at most 300)'),
  }),
  output: z.object({
    request_id: z.string().describe('The message id of the request'),
    correlation_id: z.string(),
    thread_id: z.string(),
    recipients: z.array(z.string()),
    response: messageView,
    waited_ms: z.number(),
  }),
  async handler(ctx, input) {
    const me = await actingAgent(ctx, input.from, 'from');
    const { from: _f, ...rest } = input;
    const progress = ctx.progress;
    return ctx.services.coordination.requests.request(
      me,
      rest,
      ctx.signal,
      progress
        ? (elapsed, total) => progress(elapsed, total, `waiting for a response (${elapsed}s)`)
        : undefined,
    );
  },
});

export const respond = defineOp({
  name: 'respond',
  group: 'coordination',
  summary: 'Answer a request message: the asker’s blocked request call returns your response',
  description:
    'Sends a message of type response to the request’s sender, with its correlation_id and reply_to set. ' +
    'Only a recipient of the request may answer it.',
  access: 'agent',
  http: { method: 'POST', path: '/api/v1/requests/:request_id/respond' },
  input: z.strictObject({
    from: actingAgentId,
    request_id: idString.describe('The message id of the request (message_id in your inbox)'),
    subject: z.string().max(500).optional(),
    body: body.optional().describe('The answer: text or a JSON object'),
  }),
  output: z.object({
    success: z.literal(true),
    message_id: z.string(),
    thread_id: z.string(),
    to: z.string(),
    correlation_id: z.string(),
    created_at: z.string(),
  }),
  async handler(ctx, input) {
    const me = await actingAgent(ctx, input.from, 'from');
    const sent = await ctx.services.coordination.requests.respond(me, input);
    return {
      success: true as const,
      message_id: sent.message_id,
      thread_id: sent.thread_id,
      to: sent.to,
      correlation_id: sent.correlation_id,
      created_at: sent.created_at,
    };
  },
});
