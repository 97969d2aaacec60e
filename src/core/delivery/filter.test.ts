/** Which messages are pushed: sender gating first, then importance, type and topic filters. */
import { describe, expect, it } from 'vitest';
import { type DeliverableMessage, verdict } from './filter.js';
import { DEFAULT_DELIVERY, deliverySettingsSchema } from './settings.js';

const msg = (over: Partial<DeliverableMessage> = {}): DeliverableMessage => ({
  message_id: 'msg_1',
  from: 'alice',
  to: 'bob',
  type: 'message',
  subject: null,
  body: 'hi',
  thread_id: 'thr_1',
  reply_to: null,
  correlation_id: null,
  importance: 'normal',
  ack_required: false,
  created_at: '2026-12-06T00:00:00.000Z',
  expires_at: null,
  cursor: '1',
  read_at: null,
  acked_at: null,
  project: 'web',
  sent_by_admin: false,
  ...over,
});

describe('verdict', () => {
  it('pushes a message from the same project with the defaults', () => {
    expect(verdict(msg(), 'web', DEFAULT_DELIVERY)).toEqual({ push: true });
  });

  it('holds a message from another project, or of unknown project, unless the admin sent it', () => {
    expect(verdict(msg({ project: 'other' }), 'web', DEFAULT_DELIVERY)).toEqual({
      push: false,
      reason: 'sender',
    });
    expect(verdict(msg({ project: undefined }), 'web', DEFAULT_DELIVERY)).toEqual({
      push: false,
      reason: 'sender',
    });
    expect(verdict(msg({ project: 'other', sent_by_admin: true }), 'web', DEFAULT_DELIVERY)).toEqual({
      push: true,
    });
    const any = deliverySettingsSchema.parse({ senders: 'any' });
    expect(verdict(msg({ project: 'other' }), 'web', any)).toEqual({ push: true });
  });

  it('applies the importance threshold', () => {
    const high = deliverySettingsSchema.parse({ min_importance: 'high' });
    expect(verdict(msg({ importance: 'normal' }), 'web', high)).toEqual({
      push: false,
      reason: 'importance',
    });
    expect(verdict(msg({ importance: 'high' }), 'web', high)).toEqual({ push: true });
    expect(verdict(msg({ importance: 'urgent' }), 'web', high)).toEqual({ push: true });
  });

  it('filters by type, and topic messages by topic; direct messages pass the topic filter', () => {
    const s = deliverySettingsSchema.parse({ types: ['request'], topics: ['builds'] });
    expect(verdict(msg({ type: 'message' }), 'web', s)).toEqual({ push: false, reason: 'type' });
    expect(verdict(msg({ type: 'request' }), 'web', s)).toEqual({ push: true });
    expect(verdict(msg({ type: 'request', to: 'topic:chatter' }), 'web', s)).toEqual({
      push: false,
      reason: 'topic',
    });
    expect(verdict(msg({ type: 'request', to: 'topic:builds' }), 'web', s)).toEqual({ push: true });
  });

  it('refuses settings out of bounds with the limit named', () => {
    const r = deliverySettingsSchema.safeParse({ max_events_per_minute: 0, types: ['Bad Type'] });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(/lower-case word/);
    expect(deliverySettingsSchema.safeParse({ topics: Array(33).fill('a') }).success).toBe(false);
    expect(deliverySettingsSchema.safeParse({ extra: 1 }).success).toBe(false);
  });
});
