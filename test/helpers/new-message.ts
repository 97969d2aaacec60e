/**
 * A message as the store takes it, for store-level tests: a plain `message` from `a` to `b` in
 * project `default` that starts its own thread (thread id = its id), created now; `extra` overrides
 * any field.
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
