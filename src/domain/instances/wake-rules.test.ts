/** Waking instances on mail: the mode an adapter really gets, the checked settings, the turns a batch becomes. */
import { describe, expect, it } from 'vitest';
import { claudeCode } from '../../agents/adapters/claude-code.js';
import { codex } from '../../agents/adapters/codex.js';
import { command } from '../../agents/adapters/command.js';
import { gemini } from '../../agents/adapters/gemini.js';
import { scripted } from '../../agents/adapters/scripted.js';
import type { DeliverableMessage } from '../../core/delivery/filter.js';
import { DEFAULT_DELIVERY } from '../../core/delivery/settings.js';
import { effectiveMode, instanceDelivery, ownDeliverySettings, wakeTurns } from './wake-rules.js';

const msg = (i: number, body = `body ${i}`): DeliverableMessage => ({
  message_id: `msg_${i}`,
  from: 'agt_boss',
  to: 'agt_me',
  type: 'message',
  subject: null,
  body,
  thread_id: `thr_${i}`,
  reply_to: null,
  correlation_id: null,
  importance: 'normal',
  ack_required: false,
  created_at: '2026-12-06T00:00:00.000Z',
  expires_at: null,
  cursor: String(i),
  read_at: null,
  acked_at: null,
});

describe('effectiveMode', () => {
  it('steers only CLIs that take a message mid-turn; the others wake when idle', () => {
    expect(effectiveMode('steer', claudeCode)).toBe('steer');
    expect(effectiveMode('steer', scripted)).toBe('steer');
    expect(effectiveMode('steer', codex)).toBe('idle');
    expect(effectiveMode('steer', gemini)).toBe('idle');
    expect(effectiveMode('steer', command)).toBe('idle');
    expect(effectiveMode('idle', codex)).toBe('idle');
    expect(effectiveMode('manual', claudeCode)).toBe('manual');
  });
});

describe('instanceDelivery', () => {
  it('defaults to manual and keeps the settings as given', () => {
    expect(instanceDelivery(undefined, undefined)).toEqual({ mode: 'manual' });
    expect(instanceDelivery('idle', { max_batch: 30 })).toEqual({
      mode: 'idle',
      settings: { max_batch: 30 },
    });
    expect(ownDeliverySettings({ mode: 'idle', settings: { max_batch: 30 } })).toEqual({
      ...DEFAULT_DELIVERY,
      max_batch: 30,
    });
    expect(ownDeliverySettings({ mode: 'idle' })).toEqual(DEFAULT_DELIVERY);
  });

  it('refuses a bad mode or setting, naming the field and the limit', () => {
    expect(() => instanceDelivery('push', undefined)).toThrow(/delivery: one of manual, idle, steer/);
    expect(() => instanceDelivery('idle', { max_batch: 500 })).toThrow(/delivery_settings\.max_batch/);
    expect(() => instanceDelivery('idle', { nope: 1 })).toThrow(/delivery_settings/);
  });
});

describe('wakeTurns', () => {
  it('makes one turn of a batch, naming the messages that woke it and the last cursor', () => {
    const [turn, ...rest] = wakeTurns([msg(1), msg(2)], { sender: 1 });
    expect(rest).toEqual([]);
    expect(turn!.woken_by).toEqual({ message_ids: ['msg_1', 'msg_2'], cursor: '2' });
    expect(turn!.text).toMatch(
      /^<channel source="switchboard" count="2" from="agt_boss" message_ids="msg_1,msg_2"/,
    );
    expect(turn!.text).toContain('body 1');
    expect(turn!.text).toContain('1 more message held back');
  });

  it('splits a batch a CLI could not take in one turn, in order, every message once', () => {
    const batch = Array.from({ length: 10 }, (_, i) => msg(i + 1, 'x'.repeat(5_000)));
    const turns = wakeTurns(batch, { importance: 2 }, 12_000);
    expect(turns.length).toBeGreaterThan(1);
    for (const t of turns) expect(Buffer.byteLength(t.text)).toBeLessThanOrEqual(12_000);
    expect(turns.flatMap((t) => t.woken_by.message_ids)).toEqual(batch.map((m) => m.message_id));
    expect(turns[0]!.text).toContain('held back');
    expect(turns.slice(1).some((t) => t.text.includes('held back'))).toBe(false);
  });
});
