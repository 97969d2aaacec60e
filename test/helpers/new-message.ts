/**
 * A message as the store takes it, for store-level tests: a plain `message` from `a` to `b` in
 * project `default` that starts its own thread (thread id = its id), created now; `extra` overrides
 * any field. `threadMessage`: one from `from` to `recipients` in thread `threadId` (the thread-participation tests).
 */
import type { NewMessage } from '../../src/store/types.js';

export function newMessage(id: string, extra: Partial<NewMessage> = {}): NewMessage {
  return {
    id,
    from: 'a',
    to: 'b',
    type: 'message',
    subject: null,
    body: `hello ${id}`,
    threadId: id,
    replyTo: null,
    correlationId: null,
    importance: 'normal',
    ackRequired: false,
    project: 'default',
    createdAt: new Date().toISOString(),
    expiresAt: null,
    idempotencyKey: null,
    recipients: ['b'],
    ...extra,
  };
}

export function threadMessage(id: string, from: string, recipients: string[], threadId = id): NewMessage {
  return newMessage(id, {
    from,
    to: recipients,
    body: `${from} says hi`,
    threadId,
    createdAt: '2026-01-01T00:00:00.000Z',
    recipients,
  });
}
