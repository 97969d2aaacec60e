/**
 * Hostile input against every operation of the catalog through `POST /api/v1/ops/<name>`:
 * garbage bodies, wrong types, huge strings, deep nesting, unicode, prototype-pollution keys, and
 * valid inputs with one field made hostile, as anonymous, agent, admin and with a bogus token.
 * Always a 4xx JSON error (or a success), never a 5xx; a rejected call writes nothing; the hub stays up.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalog } from '../src/ops/catalog.js';
import { startTestHub, type TestHub } from './helpers/hub.js';
import {
  expectNoServerError,
  expectPrototypesClean,
  fingerprint,
  garbageBody,
  hostileValue,
  nastyKeys,
  nested,
  nestedJson,
  pollutedJson,
  raw,
  withPollution,
} from './hostile-support.js';

let t: TestHub;
let callers: Array<string | undefined>;
let base: Record<string, Record<string, unknown>>;
let opNames: string[];
const tally = { ok: 0, refused: 0 };
const accessOf = (name: string) => catalog.find((o) => o.name === name)?.access;

beforeAll(async () => {
  t = await startTestHub({
    rateLimit: { enabled: false },
    http: { bodyLimitBytes: 512 * 1024 },
    // A hostile but valid wait must not hold the suite up.
    messages: { defaultWaitSeconds: 0, maxWaitSeconds: 1 },
  });
  const alpha = await t.register('Alpha', { agent_id: 'alpha', capabilities: ['x'] });
  const bee = await t.register('Bee', { agent_id: 'bee' });
  await t.register('Victim', { agent_id: 'victim' });
  const toAlpha = await t.api('POST', '/api/v1/messages', {
    token: bee.token,
    body: { to: 'alpha', body: 'hello alpha' },
  });
  const toBee = await t.api('POST', '/api/v1/messages', {
    token: alpha.token,
    body: { to: 'bee', body: 'hello bee' },
  });
  await t.api('POST', '/api/v1/topics/subscribe', { token: alpha.token, body: { topic: 'news' } });
  const m = toAlpha.body.message_id as string;
  callers = [undefined, alpha.token, t.adminToken, 'sb_bogus-token'];
  opNames = [...t.hub.invoker.ops.keys()];
  // A valid input for each operation known here; operations added later start from {}.
  base = {
    register_agent: {
      name: 'New',
      agent_id: 'fresh-1',
      capabilities: ['x'],
      metadata: { k: 1 },
      project: 'default',
    },
    whoami: {},
    list_agents: { capability: 'x', status: 'active' },
    get_agent: { agent_id: 'bee' },
    heartbeat: { status: 'busy' },
    retire_agent: { agent_id: 'victim', reason: 'test' },
    send_message: {
      to: 'bee',
      body: 'hi',
      type: 'request',
      subject: 's',
      importance: 'high',
      ttl_seconds: 60,
      idempotency_key: 'k',
      reply_to: toBee.body.message_id,
    },
    check_inbox: { since: '0', limit: 5, mark_read: false },
    wait_for_messages: { timeout_seconds: 0, since: '0', limit: 5 },
    ack_message: { message_ids: [m] },
    mark_read: { message_ids: [m] },
    get_message: { message_id: m },
    get_thread: { thread_id: m },
    search_messages: { query: 'hello' },
    subscribe_topic: { topic: 'news' },
    unsubscribe_topic: { topic: 'other' },
    list_topics: {},
    hub_status: {},
  };
});

afterAll(async () => {
  await t?.close();
});

/** The valid input of `op` for this caller: the admin names the agent it acts for. */
function inputFor(op: string, token: string | undefined): Record<string, unknown> {
  const input = { ...(base[op] ?? {}) };
  const shape =
    (t.hub.invoker.ops.get(op)?.input as { shape?: Record<string, unknown> } | undefined)?.shape ?? {};
  if (token === t.adminToken && t.hub.invoker.ops.get(op)?.access === 'agent') {
    if ('from' in shape) input.from = 'alpha';
    else if ('agent_id' in shape && !('agent_id' in input)) input.agent_id = 'alpha';
  }
  return input;
}

function setOwn(obj: Record<string, unknown>, key: string, value: unknown) {
  // defineProperty, so "__proto__" becomes an own key that JSON.stringify sends, not a prototype change.
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

type Mutation =
  | { kind: 'replace'; pick: number; value: unknown }
  | { kind: 'add'; key: string; value: unknown }
  | { kind: 'drop'; pick: number }
  | { kind: 'whole'; value: unknown }
  | { kind: 'text'; text: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('replace' as const), pick: fc.nat(), value: hostileValue }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      key: fc.oneof(fc.constantFrom(...nastyKeys), fc.string({ maxLength: 12 })),
      value: hostileValue,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('whole' as const), value: hostileValue }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('text' as const), text: fc.oneof(pollutedJson, garbageBody) }),
  },
);

function apply(input: Record<string, unknown>, m: Mutation): string {
  const copy: Record<string, unknown> = { ...input };
  const keys = Object.keys(copy);
  switch (m.kind) {
    case 'replace':
      if (keys.length === 0) setOwn(copy, 'agent_id', m.value);
      else setOwn(copy, keys[m.pick % keys.length], m.value);
      return JSON.stringify(copy);
    case 'add':
      setOwn(copy, m.key, m.value);
      return JSON.stringify(copy);
    case 'drop':
      if (keys.length) delete copy[keys[m.pick % keys.length]];
      return JSON.stringify(copy);
    case 'whole':
      return JSON.stringify(m.value) ?? 'null';
    case 'text':
      return m.text;
  }
}

async function callOp(op: string, body: string, token: string | undefined, contentType = 'application/json') {
  const headers: Record<string, string> = {};
  if (contentType) headers['content-type'] = contentType;
  if (token) headers.authorization = `Bearer ${token}`;
  const before = fingerprint(t);
  const res = await raw(t, 'POST', `/api/v1/ops/${encodeURIComponent(op)}`, { body, headers });
  const what = `${op} as ${token ? token.slice(0, 8) : 'anonymous'} with ${body.slice(0, 160)}`;
  expectNoServerError(res, what);
  // A timeout is not a refusal: `request` stores its question, then gives up waiting for the answer.
  if (res.status >= 400 && res.json?.error?.code !== 'timeout')
    expect(fingerprint(t), `rejected but wrote: ${what}`).toBe(before);
  tally[res.status < 300 ? 'ok' : 'refused']++;
  return res;
}

describe('hostile input: every operation via POST /api/v1/ops/<name>', () => {
  it('covers the whole catalog', () => {
    expect(opNames.length).toBeGreaterThanOrEqual(18);
    for (const name of Object.keys(base)) expect(opNames).toContain(name);
  });

  it('starts from inputs that are valid: each one change away from hostile', async () => {
    // Run twice: the second send is an idempotent resend; unsubscribing is idempotent too.
    for (let round = 0; round < 2; round++) {
      for (const op of Object.keys(base)) {
        if (op === 'register_agent' || op === 'retire_agent') continue;
        const res = await callOp(op, JSON.stringify(inputFor(op, callers[1])), callers[1]);
        expect(res.status, `${op}: ${res.text.slice(0, 200)}`).toBe(200);
        const admin = await callOp(op, JSON.stringify(inputFor(op, t.adminToken)), t.adminToken);
        expect(admin.status, `${op} as admin: ${admin.text.slice(0, 200)}`).toBe(200);
      }
    }
    // As anonymous, the register input is valid; retiring the victim needs its token or the admin.
    expect((await callOp('register_agent', JSON.stringify(base.register_agent), undefined)).status).toBe(200);
    expect((await callOp('register_agent', JSON.stringify(base.register_agent), undefined)).status).toBe(409);
    expect((await callOp('retire_agent', JSON.stringify(base.retire_agent), callers[1])).status).toBe(403);
  });

  it('refuses a fixed set of hostile bodies on every operation for every kind of caller', async () => {
    const bodies = [
      '',
      'null',
      '[]',
      '"string"',
      '42',
      '{',
      '{"__proto__":{"polluted":"yes"}}',
      '{"constructor":{"prototype":{"polluted":"yes"}}}',
      nestedJson(20_000),
      nestedJson(50_000, true),
      `{"body":${nestedJson(10_000)},"to":"bee","metadata":${nestedJson(10_000, true)}}`,
    ];
    for (const op of opNames) {
      const valid = base[op] ?? {};
      const variants = [
        ...bodies,
        JSON.stringify({ ...valid, zzz_unknown: 1 }),
        JSON.stringify(Object.fromEntries(Object.keys(valid).map((k) => [k, nested(100)]))),
        JSON.stringify(Object.fromEntries(Object.keys(valid).map((k) => [k, 'x'.repeat(200_000)]))),
        withPollution(valid, [0, 1, 2]),
        // The valid input with one field nested far too deep (JSON.stringify would overflow on it).
        ...Object.keys(inputFor(op, callers[1])).map((k) => {
          const { agent_id: _taken, ...fresh } = inputFor(op, callers[1]);
          const input = op === 'register_agent' ? fresh : inputFor(op, callers[1]);
          return JSON.stringify({ ...input, [k]: '__DEEP__' }).replace('"__DEEP__"', nestedJson(10_000));
        }),
      ];
      for (const body of variants) {
        // Big bodies as the agent (past authentication); the small ones as every kind of caller.
        for (const token of body.length > 10_000 ? [callers[1]] : callers) {
          const res = await callOp(op, body, token);
          // Nothing here is valid input for an operation that takes fields, except `null`/'' (= no input).
          if (body.startsWith('{"__proto__"') || body.startsWith('{"constructor"'))
            expect(res.status).toBe(400);
          // Past authorization: the admin, or the agent on an operation that is not admin-only.
          const authenticated = token === t.adminToken || (token === callers[1] && accessOf(op) !== 'admin');
          if (authenticated && body.length > 1000 && (body.includes('{"a":{"a":') || body.includes('[[[[')))
            expect(res.status, `${op} deep: ${res.text.slice(0, 300)}`).toBe(400);
        }
      }
    }
    expectPrototypesClean();
  });

  it('property: a valid input with one hostile change never yields a 5xx or a half-written store', async () => {
    tally.ok = 0;
    tally.refused = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...opNames),
        // Mostly as the agent, so that inputs get past authentication into validation and the handlers.
        fc.constantFrom(0, 1, 1, 1, 1, 1, 2, 2, 3),
        mutation,
        async (op, who, m) => {
          await callOp(op, apply(inputFor(op, callers[who]), m), callers[who]);
        },
      ),
      { numRuns: 500 },
    );
    // The mutations reach past validation: a good share of them still succeed.
    // Some mutations are still valid input (they reach the handlers), most are refused.
    expect(tally.ok).toBeGreaterThan(0);
    expect(tally.refused).toBeGreaterThan(250);
    expectPrototypesClean();
  });

  it('property: any content type and any bytes on any operation', async () => {
    const types = [
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/octet-stream',
      'garbage',
      '',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constantFrom(...opNames), fc.string({ maxLength: 20 })),
        fc.nat({ max: 3 }),
        fc.constantFrom(...types),
        fc.oneof(garbageBody, pollutedJson),
        async (op, who, type, body) => {
          await callOp(op, body, callers[who], type);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('is still up and answering afterwards', async () => {
    expect((await raw(t, 'GET', '/health')).status).toBe(200);
    const status = await t.api('POST', '/api/v1/ops/hub_status', { body: {} });
    expect(status.status).toBe(200);
    expect(status.body.status).toBe('ok');
    expectPrototypesClean();
  });
});
