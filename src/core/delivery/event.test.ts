/** The channel event's content and meta: what Claude Code shows the model. */
import { describe, expect, it } from 'vitest';
import { channelEvent, channelTag, MAX_EVENT_BODY_CHARS } from './event.js';
import type { DeliverableMessage } from './filter.js';

const msg = (over: Partial<DeliverableMessage> = {}): DeliverableMessage => ({
  message_id: 'msg_1',
  from: 'alice',
  to: 'bob',
  type: 'request',
  subject: 'Stop',
  body: 'please stop the deploy',
  thread_id: 'thr_1',
  reply_to: null,
  correlation_id: null,
  importance: 'high',
  ack_required: true,
  created_at: '2026-12-06T00:00:00.000Z',
  expires_at: null,
  cursor: '7',
  read_at: null,
  acked_at: null,
  ...over,
});

describe('channelEvent', () => {
  it('puts one message body in content and its fields in meta', () => {
    expect(channelEvent([msg()])).toEqual({
      content: 'please stop the deploy',
      meta: {
        from: 'alice',
        type: 'request',
        thread_id: 'thr_1',
        message_id: 'msg_1',
        importance: 'high',
        cursor: '7',
        subject: 'Stop',
        ack_required: 'true',
      },
    });
  });

  it('lists several messages in one event, with the last cursor and every id', () => {
    const e = channelEvent([
      msg(),
      msg({
        message_id: 'msg_2',
        from: 'carol',
        cursor: '9',
        body: { k: 1 },
        importance: 'low',
        ack_required: false,
      }),
    ]);
    expect(e.meta).toMatchObject({
      count: '2',
      from: 'alice,carol',
      message_ids: 'msg_1,msg_2',
      cursor: '9',
      importance: 'high',
      thread_id: 'thr_1',
    });
    expect(e.content).toContain('[1/2] from alice, message_id msg_1');
    expect(e.content).toContain('[2/2] from carol, message_id msg_2');
    expect(e.content).toContain('{"k":1}');
  });

  it('never cuts the list of message ids, however long (a reader accounts for every message by it)', () => {
    const batch = Array.from({ length: 50 }, (_, i) =>
      msg({ message_id: `msg_01M960GGF29ZSAPP6251NF3E${String(i).padStart(2, '0')}`, cursor: String(i + 1) }),
    );
    expect(channelEvent(batch).meta.message_ids!.split(',')).toEqual(batch.map((m) => m.message_id));
  });

  it('says how many messages were held back and why', () => {
    const e = channelEvent([msg()], { importance: 2, pace: 1 });
    expect(e.meta.held_back).toBe('3');
    expect(e.content).toMatch(
      /3 more messages held back \(2 by the importance filter, 1 by the pace limit\)/,
    );
  });

  it('cuts a long body and keeps meta single-line and bounded', () => {
    const e = channelEvent([
      msg({ body: 'x'.repeat(MAX_EVENT_BODY_CHARS + 10), subject: 'a\nb'.repeat(400) }),
    ]);
    expect(e.content.length).toBeLessThan(MAX_EVENT_BODY_CHARS + 200);
    expect(e.content).toContain('get_message');
    expect(e.meta.subject).not.toMatch(/\n/);
    expect(e.meta.subject!.length).toBeLessThanOrEqual(500);
  });

  it('renders as a <channel> tag with escaped attributes', () => {
    const tag = channelTag(channelEvent([msg({ subject: '"><x>' })]));
    expect(tag.startsWith('<channel source="switchboard" from="alice"')).toBe(true);
    expect(tag).toContain('subject="&quot;&gt;&lt;x&gt;"');
    expect(tag.endsWith('</channel>')).toBe(true);
  });
});
