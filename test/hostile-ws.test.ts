/**
 * Hostile input over WebSocket: garbage frames (text, binary, wrong shapes, hostile values, deep
 * nesting, prototype-pollution keys) on a live connection, and hostile connection parameters.
 * Every frame gets exactly one answer (an `error` frame with a code and message, a `result` or a
 * `pong`); the connection stays open; rejected frames write nothing; refused connections close
 * with a policy code (not "internal error"); the hub stays up.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ERROR_CODES } from '../src/core/errors.js';
import { startTestHub, type TestHub } from './helpers/hub.js';
import {
  expectPrototypesClean,
  fingerprint,
  garbageBody,
  hostileString,
  hostileValue,
  nestedJson,
  pollutedJson,
  raw,
} from './hostile-support.js';
import { type Frame, WsClient, wsUrl } from './ws-resume-client.js';

const BODY_LIMIT = 512 * 1024;
let t: TestHub;
let agent: { id: string; token: string };
let bee: { id: string; token: string };
let ws: WsClient;

beforeAll(async () => {
  t = await startTestHub({
    rateLimit: { enabled: false },
    http: { bodyLimitBytes: BODY_LIMIT },
    messages: { defaultWaitSeconds: 0, maxWaitSeconds: 1 },
  });
  agent = await t.register('Socket', { agent_id: 'socket' });
  bee = await t.register('Bee', { agent_id: 'bee' });
  await t.api('POST', '/api/v1/messages', { token: bee.token, body: { to: 'socket', body: 'hello' } });
  ws = await WsClient.connect(t.url, agent.id, { token: agent.token });
});

afterAll(async () => {
  await ws?.close();
  await t?.close();
});

const isAnswer = (f: Frame) => f.type === 'error' || f.type === 'result' || f.type === 'pong';

function expectWellFormedError(f: Frame, what: string) {
  expect(ERROR_CODES as readonly string[], what).toContain(f.error?.code);
  expect(f.error.code, what).not.toBe('internal');
  expect(typeof f.error.message, what).toBe('string');
  expect(f.error.message.length, what).toBeGreaterThan(0);
  expect(JSON.stringify(f), what).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

/** Sends one frame and returns its one answer; checks a refused frame wrote nothing. */
async function sendOne(frame: string | Buffer): Promise<Frame> {
  const answered = ws.frames.filter(isAnswer).length;
  const before = await fingerprint(t);
  ws.sendRaw(frame);
  const what = `frame ${String(frame).slice(0, 200)}`;
  await ws.until(
    () => {
      if (ws.frames.filter(isAnswer).length > answered) return true;
      if (ws.closed)
        throw new Error(`connection closed (${JSON.stringify(ws.closed)}) instead of answering ${what}`);
      return undefined;
    },
    15_000,
    `answer to ${what}`,
  );
  const answers = ws.frames.filter(isAnswer);
  expect(answers.length, `exactly one answer to ${what}`).toBe(answered + 1);
  const answer = answers[answered];
  if (answer.type === 'error') {
    expectWellFormedError(answer, what);
    expect(await fingerprint(t), `refused but wrote: ${what}`).toBe(before);
  }
  expect(ws.closed, what).toBeUndefined();
  return answer;
}

/** Frames under the size limit (a bigger one closes the connection with 1009, tested on its own below). */
const frameArb: fc.Arbitrary<string | Buffer> = fc
  .oneof(
    { weight: 2, arbitrary: garbageBody },
    { weight: 1, arbitrary: pollutedJson },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 128 }).map((b) => Buffer.from(b)) },
    { weight: 1, arbitrary: hostileValue.map((v) => JSON.stringify(v) ?? 'null') },
    {
      weight: 5,
      arbitrary: fc
        .record(
          {
            type: fc.oneof(
              fc.constantFrom(
                'ping',
                'heartbeat',
                'ack',
                'send',
                'send_batch',
                'call',
                'message',
                'ready',
                '__proto__',
              ),
              hostileValue,
            ),
            id: fc.oneof(fc.string({ maxLength: 10 }), fc.nat(), hostileValue),
            op: fc.oneof(
              fc.constantFrom(
                ...['send_message', 'check_inbox', 'whoami', 'nope', 'constructor', '__proto__'],
              ),
              hostileString,
            ),
            input: hostileValue,
            to: fc.oneof(fc.constantFrom('bee', 'ALL', 'socket'), hostileValue),
            body: hostileValue,
            message_ids: fc.oneof(fc.array(fc.string({ maxLength: 30 }), { maxLength: 3 }), hostileValue),
            status: fc.oneof(fc.constantFrom('busy', 'idle', 'active'), hostileValue),
            agent_id: fc.oneof(fc.constantFrom('socket', 'bee'), hostileValue),
            messages: fc.oneof(
              fc.array(
                fc.oneof(
                  fc.record({
                    to: fc.oneof(fc.constantFrom('bee', 'socket'), hostileValue),
                    body: hostileValue,
                  }),
                  hostileValue,
                ),
                { maxLength: 4 },
              ),
              hostileValue,
            ),
          },
          { requiredKeys: ['type'] },
        )
        .map((f) => JSON.stringify(f)),
    },
  )
  .filter((f) => Buffer.byteLength(f) < BODY_LIMIT - 1024);

/** Opens a connection with raw query/path parts; resolves with how the hub answered. */
function attempt(path: string): Promise<{ http?: number; frames: Frame[]; close?: number }> {
  return new Promise((resolve) => {
    const frames: Frame[] = [];
    let settled = false;
    const done = (v: { http?: number; close?: number }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...v, frames });
    };
    const socket = new WebSocket(t.url.replace(/^http/, 'ws') + path);
    const timer = setTimeout(() => {
      socket.terminate();
      done({ close: -1 });
    }, 15_000);
    socket.on('unexpected-response', (_req, res) => {
      res.resume();
      done({ http: res.statusCode });
      socket.terminate();
    });
    socket.on('message', (d) => {
      const f = JSON.parse(String(d)) as Frame;
      frames.push(f);
      // A connection that got in is closed by us once ready; we only care how refusals look.
      if (f.type === 'ready') socket.close(1000);
    });
    socket.on('close', (code) => done({ close: code }));
    socket.on('error', () => {});
  });
}

describe('hostile input: WebSocket', () => {
  it('answers every kind of garbage frame with one well-formed error and stays open', async () => {
    const fixed: Array<string | Buffer> = [
      '',
      ' ',
      'null',
      '[]',
      '42',
      '"ping"',
      '{',
      '{"type":null}',
      '{"type":{"toString":1}}',
      '{"type":"PING"}',
      '{"type":"call"}',
      '{"type":"call","op":42}',
      '{"type":"call","op":"no_such_op"}',
      '{"type":"call","op":"__proto__"}',
      '{"type":"call","op":"constructor"}',
      '{"type":"call","op":"hasOwnProperty"}',
      '{"type":"call","op":"send_message","input":"text"}',
      '{"type":"call","op":"send_message","input":[1,2]}',
      '{"type":"send"}',
      '{"type":"send","to":[]}',
      '{"type":"send","to":"bee","from":"bee","body":"forged"}',
      '{"type":"ack","message_ids":"x"}',
      '{"type":"heartbeat","status":"retired"}',
      '{"type":"send","to":"bee","__proto__":{"polluted":"yes"}}',
      '{"type":"send","to":"bee","body":{"constructor":{"prototype":{"polluted":"yes"}}}}',
      `{"type":"send","to":"bee","body":${nestedJson(20_000)}}`,
      '{"type":"send_batch"}',
      '{"type":"send_batch","messages":{}}',
      '{"type":"send_batch","messages":[]}',
      `{"type":"send_batch","messages":[{"to":"bee","body":${nestedJson(20_000)}}]}`,
      `{"type":"send_batch","messages":${nestedJson(20_000)}}`,
      '{"type":"send_batch","messages":[{"to":"bee","__proto__":{"polluted":"yes"}},{"to":"bee","message_type":"constructor"}]}',
      `{"type":"call","op":"register_agent","input":{"name":"deep","metadata":${nestedJson(20_000, true)}}}`,
      nestedJson(50_000, true),
      Buffer.from([0xff, 0xfe, 0xfd, 0x00]),
      Buffer.from('{"type":"ping"}', 'utf16le'),
      'x'.repeat(BODY_LIMIT - 1000),
    ];
    // A JSON body may hold any keys, "constructor" included: it is data, never merged into objects.
    const mayPass = new Set([
      '{"type":"send","to":"bee","body":{"constructor":{"prototype":{"polluted":"yes"}}}}',
      // A batch is answered with a result, its refused messages each in their own slot (below).
      `{"type":"send_batch","messages":[{"to":"bee","body":${nestedJson(20_000)}}]}`,
      '{"type":"send_batch","messages":[{"to":"bee","__proto__":{"polluted":"yes"}},{"to":"bee","message_type":"constructor"}]}',
    ]);
    for (const frame of fixed) {
      const answer = await sendOne(frame);
      if (!mayPass.has(String(frame)))
        expect(answer.type, `frame ${String(frame).slice(0, 80)}`).toBe('error');
    }
    // Deep nesting is refused by name, not by a crash.
    const deep = await sendOne(`{"type":"send","id":"deep","to":"bee","body":${nestedJson(20_000)}}`);
    expect(deep).toMatchObject({ type: 'error', id: 'deep', error: { code: 'invalid_input' } });
    expect(deep.error.message).toMatch(/nested/);
    const deepBatch = await sendOne(
      `{"type":"send_batch","id":"deep-batch","messages":[{"to":"bee","body":${nestedJson(20_000)}},"x"]}`,
    );
    expect(deepBatch).toMatchObject({ type: 'result', id: 'deep-batch' });
    expect(deepBatch.result.results).toHaveLength(2);
    expect(deepBatch.result.results[0]).toMatchObject({ success: false, error: { code: 'invalid_input' } });
    expect(deepBatch.result.results[0].error.message).toMatch(/nested/);
    expect(deepBatch.result.results[1]).toMatchObject({ success: false, error: { code: 'invalid_input' } });
    // Good frames still work on the same connection.
    expect(await sendOne('{"type":"ping","id":"p1"}')).toMatchObject({ type: 'pong', id: 'p1' });
    const sent = await sendOne('{"type":"send","id":"s1","to":"bee","body":"still fine"}');
    expect(sent).toMatchObject({ type: 'result', id: 's1', result: { success: true } });
    expectPrototypesClean();
  });

  it('property: any frame gets exactly one answer, errors are well-formed, refused frames write nothing', async () => {
    await fc.assert(
      fc.asyncProperty(frameArb, async (frame) => {
        await sendOne(frame);
      }),
      { numRuns: 300 },
    );
    expect(await sendOne('{"type":"ping","id":"after"}')).toMatchObject({ type: 'pong', id: 'after' });
    expectPrototypesClean();
  });

  it('survives a flood of garbage frames without dropping an answer', async () => {
    const answered = ws.frames.filter(isAnswer).length;
    const N = 400;
    for (let i = 0; i < N; i++) ws.sendRaw(i % 2 ? `{"type":"nope","id":${i}}` : `garbage ${i}`);
    ws.sendRaw('{"type":"ping","id":"flood-end"}');
    await ws.until(
      () => (ws.frames.filter(isAnswer).length >= answered + N + 1 ? true : undefined),
      20_000,
      'flood answers',
    );
    const answers = ws.frames.filter(isAnswer).slice(answered);
    expect(answers).toHaveLength(N + 1);
    expect(answers.filter((f) => f.type === 'error')).toHaveLength(N);
    expect(ws.closed).toBeUndefined();
  });

  it('refuses a frame over the size limit with an error, closes one over twice it with 1009, and keeps serving everyone else', async () => {
    const over = await sendOne('x'.repeat(BODY_LIMIT + 1024));
    expect(over).toMatchObject({ type: 'error', error: { code: 'payload_too_large' } });
    const big = await WsClient.connect(t.url, bee.id, { token: bee.token });
    big.sendRaw('x'.repeat(2 * BODY_LIMIT + 1024));
    const closed = await big.waitClosed();
    expect(closed.code).toBe(1009);
    expect((await raw(t, 'GET', '/health')).status).toBe(200);
    expect(await sendOne('{"type":"ping","id":"still-here"}')).toMatchObject({ type: 'pong' });
  });

  it('refuses hostile connection parameters with an error frame and a policy close, or a 4xx, never an internal error', async () => {
    const fixed = [
      `/ws/socket`,
      `/ws/socket?token=`,
      `/ws/socket?token=${'x'.repeat(3000)}`,
      `/ws/socket?token=${encodeURIComponent(bee.token)}`,
      `/ws/socket?token=${encodeURIComponent(agent.token)}&since=abc`,
      `/ws/socket?token=${encodeURIComponent(agent.token)}&since=-1`,
      `/ws/socket?token=${encodeURIComponent(agent.token)}&since=%E0%A4%A`,
      `/ws/socket?token=${encodeURIComponent(agent.token)}&since=${'9'.repeat(40)}`,
      `/ws/nobody?token=${encodeURIComponent(t.adminToken)}`,
      `/ws/%E0%A4%A?token=${encodeURIComponent(agent.token)}`,
      `/ws/__proto__?token=${encodeURIComponent(agent.token)}`,
      `/ws/${'x'.repeat(300)}?token=${encodeURIComponent(t.adminToken)}`,
      `/ws/socket?token=${encodeURIComponent(agent.token)}&token=${encodeURIComponent(bee.token)}`,
      `/ws/socket?__proto__[polluted]=1&token=bad`,
      `/ws/socket?token=${encodeURIComponent(agent.token)}&since=1&since=2`,
      // The refusal quotes the id: a close reason over 123 bytes once threw inside the hub.
      `/ws/${encodeURIComponent('€'.repeat(60))}?token=${encodeURIComponent(bee.token)}`,
      `/ws/${encodeURIComponent('€'.repeat(60))}?token=${encodeURIComponent(t.adminToken)}`,
    ];
    for (const path of fixed) {
      const r = await attempt(path);
      const what = `${path.slice(0, 120)} → ${JSON.stringify(r).slice(0, 300)}`;
      if (r.http !== undefined) {
        expect(r.http, what).toBeGreaterThanOrEqual(400);
        expect(r.http, what).toBeLessThan(500);
        continue;
      }
      const err = r.frames.find((f) => f.type === 'error');
      expect(err, what).toBeDefined();
      expectWellFormedError(err!, what);
      expect(
        r.frames.some((f) => f.type === 'ready'),
        what,
      ).toBe(false);
      // 1008 (policy violation): the client's fault. 1011 would say the server failed.
      expect(r.close, what).toBe(1008);
    }
    const tokens = [agent.token, bee.token, t.adminToken, 'sb_bogus', '', '%', '%E0'];
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constantFrom('socket', 'bee', 'nobody'),
          hostileString.filter((s) => s.length > 0 && s.length < 200),
        ),
        fc.option(
          fc.oneof(
            fc.constantFrom(...tokens),
            hostileString.filter((s) => s.length < 200),
          ),
        ),
        fc.option(
          fc.oneof(
            fc.constantFrom('0', '1', '2000-01-01T00:00:00Z'),
            hostileString.filter((s) => s.length < 200),
          ),
        ),
        async (id, token, since) => {
          let path: string;
          try {
            path = wsUrl('', id, { token: token ?? undefined, since: since ?? undefined });
          } catch {
            return; // a lone surrogate cannot even be put in a URL
          }
          const r = await attempt(path.replace(/^ws:/, ''));
          const what = `${path.slice(0, 160)} → ${JSON.stringify(r).slice(0, 300)}`;
          if (r.http !== undefined) {
            expect(r.http, what).toBeLessThan(500);
            return;
          }
          if (r.frames.some((f) => f.type === 'ready')) return; // a valid combination got in
          const err = r.frames.find((f) => f.type === 'error');
          expect(err, what).toBeDefined();
          expectWellFormedError(err!, what);
          expect(r.close, what).toBe(1008);
        },
      ),
      { numRuns: 80 },
    );
    expect((await raw(t, 'GET', '/health')).status).toBe(200);
    expectPrototypesClean();
  });

  it('closes the sockets of refused upgrades, so nothing leaks and the hub can still shut down', async () => {
    const other = await startTestHub();
    try {
      const a = await other.register('A', { agent_id: 'a' });
      const tries: Array<[string, Record<string, string>]> = [
        [`/ws/a?token=${a.token}`, { origin: 'https://evil.example' }],
        ['/ws/%E0%A4%A', {}],
        [`/ws/${'x'.repeat(300)}`, {}],
        ['/ws/a?token=a&token=b', {}],
        [`/ws/a?token=${a.token}`, {}],
      ];
      for (const [path, headers] of tries) {
        const outcome = await new Promise<string>((resolve) => {
          const s = new WebSocket(other.url.replace(/^http/, 'ws') + path, { headers });
          s.on('unexpected-response', (_req, res) => {
            res.resume();
            resolve(`http ${res.statusCode}`);
            s.terminate();
          });
          s.on('open', () => s.close(1000));
          s.on('close', (code) => resolve(`close ${code}`));
          s.on('error', () => {});
        });
        expect(outcome, path).toMatch(/^(http 4\d\d|close (1000|1005|1008))$/);
      }
    } finally {
      // Before the fix this never finished: the refused upgrade sockets stayed open.
      const closed = await Promise.race([
        other.close().then(() => 'closed'),
        new Promise((r) => setTimeout(() => r('still open after 15 s'), 15_000)),
      ]);
      expect(closed).toBe('closed');
    }
  });
});
