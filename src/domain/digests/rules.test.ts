import { describe, expect, it } from 'vitest';
import type { MessageRecord } from '../../store/types.js';
import { digestMessages } from './rules.js';

let seq = 0;
function msg(from: string, to: string[], type: string, at: string, extra: Partial<MessageRecord> = {}) {
  seq++;
  return {
    seq,
    id: `m${seq}`,
    from,
    to,
    type,
    subject: null,
    body: '',
    threadId: 'm1',
    replyTo: null,
    correlationId: null,
    importance: 'normal',
    ackRequired: false,
    project: 'default',
    createdAt: `2026-01-01T00:${at}.000Z`,
    expiresAt: null,
    idempotencyKey: null,
    recipients: to,
    ...extra,
  } satisfies MessageRecord;
}

describe('digestMessages', () => {
  it('counts senders, turns, types, the span and the requests nobody answered', () => {
    seq = 0;
    const messages = [
      msg('a', ['b', 'c'], 'message', '00:00'),
      msg('a', ['b'], 'request', '00:10'),
      msg('b', ['a'], 'response', '01:00', { replyTo: 'm2' }),
      msg('a', ['c'], 'request', '02:00', { subject: 'numbers?' }),
      msg('c', ['a'], 'message', '03:00', { replyTo: 'm4' }),
    ];
    const d = digestMessages(messages, Date.parse('2026-01-01T00:12:00.000Z'));
    expect(d.participants).toEqual([
      { agent_id: 'a', sent: 3, received: 2 },
      { agent_id: 'b', sent: 1, received: 2 },
      { agent_id: 'c', sent: 1, received: 2 },
    ]);
    expect(d.turns).toBe(4);
    expect(d.speaker_changes).toBe(3);
    expect(d.messages).toEqual({ total: 5, by_type: { message: 2, request: 2, response: 1 } });
    expect(d.first_activity).toBe('2026-01-01T00:00:00.000Z');
    expect(d.duration_seconds).toBe(180);
    // A plain message replying to a request does not answer it: only a response does.
    expect(d.unanswered_requests).toEqual([
      {
        message_id: 'm4',
        from: 'a',
        to: ['c'],
        subject: 'numbers?',
        asked_at: '2026-01-01T00:02:00.000Z',
        waiting_seconds: 600,
      },
    ]);
  });

  it('an empty view is all zeros', () => {
    expect(digestMessages([], 0)).toMatchObject({ turns: 0, speaker_changes: 0, duration_seconds: 0 });
  });
});
