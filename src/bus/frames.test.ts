/**
 * The live protocol's frames: what the server builds is what the schemas describe, the message frame
 * has one shape live and replayed (plus `replay: true`), and client frames are read or refused with
 * the reason a client can act on.
 */
import { describe, expect, it } from 'vitest';
import { HubError } from '../core/errors.js';
import type { InboxMessageView } from '../core/wire/index.js';
import * as frames from './frames.js';

const view: InboxMessageView = {
  message_id: 'msg_1',
  from: 'a',
  to: 'b',
  type: 'message',
  subject: null,
  body: 'hi',
  thread_id: 'msg_1',
  reply_to: null,
  correlation_id: null,
  importance: 'normal',
  ack_required: false,
  created_at: '2026-01-01T00:00:00.000Z',
  expires_at: null,
  project: 'default',
  sent_by_admin: false,
  cursor: '7',
  read_at: null,
  acked_at: null,
};

describe('server frames', () => {
  it('builds each frame in the shape its schema describes', () => {
    const built = [
      frames.ready('a', '7'),
      frames.message('7', view),
      frames.message('7', view, true),
      frames.result('c1', { ok: true }),
      frames.error(new HubError('not_found', 'No such agent').toJSON(), 3),
      frames.pong(undefined),
      frames.event({ type: 'ack', at: view.created_at, message_id: 'msg_1', by: 'b', to: 'a' }),
    ];
    for (const frame of built) expect(frames.serverFrame.safeParse(frame).success).toBe(true);
  });

  it('sends a message the same way live and replayed, the replay marked', () => {
    expect(JSON.stringify(frames.message('7', view))).toBe(
      JSON.stringify({ type: 'message', cursor: '7', message: view }),
    );
    expect(JSON.stringify(frames.message('7', view, true))).toBe(
      JSON.stringify({ type: 'message', cursor: '7', message: view, replay: true }),
    );
  });

  it('forwards a hub event with its fields as published', () => {
    const ack = { type: 'ack', at: view.created_at, message_id: 'msg_1', by: 'b', to: 'a' } as const;
    expect(frames.event(ack)).toEqual(ack);
  });

  it('replays a message over SSE in the shape the bus publishes it live', () => {
    expect(frames.messageEvent('b', view)).toEqual({
      type: 'message',
      at: view.created_at,
      agent_id: 'b',
      cursor: '7',
      message: view,
    });
  });

  it('describes no frame that is not one', () => {
    for (const junk of [
      null,
      'ready',
      {},
      { type: 'ready' },
      { type: 7, at: 'x' },
      { type: 'error', error: {} },
    ])
      expect(frames.serverFrame.safeParse(junk).success).toBe(false);
  });
});

describe('client frames', () => {
  it('reads each kind, with its correlation id', () => {
    for (const type of frames.CLIENT_FRAME_TYPES) {
      const extra = type === 'call' ? { op: 'whoami' } : type === 'send_batch' ? { messages: [] } : {};
      const read = frames.parseClientFrame(JSON.stringify({ type, id: 'c1', ...extra }));
      expect(read).toEqual({ frame: { type, id: 'c1', ...extra }, id: 'c1' });
    }
  });

  it('refuses what is not a frame, saying what to send', () => {
    const refused = (text: string) => {
      const read = frames.parseClientFrame(text);
      if (!('error' in read)) throw new Error(`${text} was read as a frame`);
      return { code: read.error.code, message: read.error.message, id: read.id };
    };
    expect(refused('[1]')).toEqual({
      code: 'invalid_input',
      message: 'Each frame must be a JSON object with a "type"',
      id: undefined,
    });
    expect(refused('{"type":"dance","id":4}')).toEqual({
      code: 'invalid_input',
      message: 'Unknown frame type "dance"; use ping, heartbeat, ack, send, send_batch or call',
      id: 4,
    });
    expect(refused('{"type":"send_batch","id":5,"messages":{"to":"b"}}')).toEqual({
      code: 'invalid_input',
      message: 'A send_batch frame needs "messages": a list of sends',
      id: 5,
    });
    expect(refused('{"type":"call","id":"x","op":5}')).toEqual({
      code: 'invalid_input',
      message: 'A call frame needs "op" (an operation name)',
      id: 'x',
    });
  });

  it('echoes only a string or number id', () => {
    expect(frames.requestId({ id: { no: 1 } })).toBeUndefined();
    expect(frames.requestId({ id: 0 })).toBe(0);
  });
});
