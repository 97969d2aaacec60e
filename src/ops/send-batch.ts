/**
 * Several sends in one request (the WebSocket `send_batch` frame). The caller is authorized once;
 * each message takes its own rate-limit token and is validated once against `send_message`'s own
 * schema; the valid ones go to the store together (one group commit, queued in the order given). The
 * answer has one slot per message, in order: `send_message`'s result, or that message's own error.
 * One bad message fails only itself; each result is given only after its message has committed.
 */
import type { ErrorBody } from '../core/errors.js';
import { HubError } from '../core/errors.js';
import type { SendInput } from '../domain/messages/service.js';
import type { AgentRecord } from '../store/types.js';
import { actingAgent } from './acting.js';
import { authorize, type Invoker } from './invoke.js';
import { sendMessage, toSendInput } from './messages.js';
import type { OpContext } from './types.js';

/** Messages one batch may carry; more is refused whole (split the batch). */
export const MAX_BATCH_MESSAGES = 500;

export type SendMessageResult = Awaited<ReturnType<typeof sendMessage.handler>>;
export type BatchSlot = SendMessageResult | { success: false; error: ErrorBody };

/** The batch as a whole is refused when it is not a list of 1 to MAX_BATCH_MESSAGES messages. */
export function checkBatch(messages: unknown): unknown[] {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new HubError(
      'invalid_input',
      `messages: give a list of 1 to ${MAX_BATCH_MESSAGES} sends, each with send_message’s fields (to, body, ...)`,
    );
  }
  if (messages.length > MAX_BATCH_MESSAGES) {
    throw new HubError(
      'payload_too_large',
      `messages: a send_batch frame carries at most ${MAX_BATCH_MESSAGES} messages, this one has ${messages.length}; split it into several frames`,
      { details: { limit: MAX_BATCH_MESSAGES, count: messages.length } },
    );
  }
  return messages;
}

/**
 * Runs the batch as `ctx`'s caller. `raw` holds each message's `send_message` input as sent;
 * `remote` keys an anonymous caller's rate limit (a batch needs an agent, so it is refused first).
 */
export async function sendBatch(
  invoker: Invoker,
  ctx: OpContext,
  raw: readonly unknown[],
  remote?: string,
): Promise<BatchSlot[]> {
  const started = performance.now();
  authorize(sendMessage.access, ctx.caller, sendMessage.name);
  checkBatch(raw);
  if (ctx.caller.kind === 'agent') ctx.services.agents.touch(ctx.caller.agentId);
  const senders = new Map<string | undefined, Promise<AgentRecord>>();
  const inputs: Array<{ me: Promise<AgentRecord>; input: SendInput } | HubError> = raw.map((item) => {
    try {
      const parsed = invoker.admit(sendMessage, ctx, item, remote);
      const input = toSendInput(parsed);
      // One lookup per sender named (on a WebSocket every message is the socket's own agent).
      let me = senders.get(parsed.from);
      if (!me) {
        me = actingAgent(ctx, parsed.from, 'from');
        me.catch(() => {});
        senders.set(parsed.from, me);
      }
      return { me, input };
    } catch (err) {
      return invoker.failed(sendMessage, ctx, started, err);
    }
  });

  // Group by sender (nearly always one); each group goes to the store in one pass.
  const slots: BatchSlot[] = new Array(inputs.length);
  const groups = new Map<Promise<AgentRecord>, number[]>();
  inputs.forEach((entry, i) => {
    if (entry instanceof HubError) {
      slots[i] = { success: false, error: entry.toJSON() };
      return;
    }
    const list = groups.get(entry.me) ?? [];
    list.push(i);
    groups.set(entry.me, list);
  });
  const admin = ctx.caller.kind === 'admin';
  await Promise.all(
    [...groups].map(async ([me, indexes]) => {
      let sender: AgentRecord;
      try {
        sender = await me;
      } catch (err) {
        for (const i of indexes)
          slots[i] = { success: false, error: invoker.failed(sendMessage, ctx, started, err).toJSON() };
        return;
      }
      const results = await ctx.services.messages.sendMany(
        sender,
        indexes.map((i) => (inputs[i] as { input: SendInput }).input),
        { admin },
      );
      results.forEach((result, k) => {
        const i = indexes[k];
        if (result instanceof HubError) {
          slots[i] = { success: false, error: invoker.failed(sendMessage, ctx, started, result).toJSON() };
        } else {
          invoker.completed(sendMessage, ctx, started);
          slots[i] = { success: true, ...result };
        }
      });
    }),
  );
  return slots;
}
