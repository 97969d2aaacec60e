/**
 * Hostile input against every operation of the hub through `POST /api/v1/ops/<name>`: garbage bodies,
 * wrong types, huge strings, deep nesting, unicode, prototype-pollution keys, and valid inputs with one
 * field made hostile, as anonymous, agent, admin and with a bogus token. Every operation has a valid
 * input here (built in a world of agents, tasks, instances, a gateway server, workflows: hostile-world.ts)
 * and each is checked to succeed, so the changes start one step from a real call. Always a 4xx JSON error
 * (or a success), never a 5xx; a rejected call writes nothing to any table; the hub stays up.
 */
import fc from 'fast-check';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineOp } from '../src/ops/types.js';
import { startTestHub, type TestHub } from './helpers/hub.js';
import {
  allTables,
  expectNoServerError,
  expectPrototypesClean,
  fingerprint,
  fingerprintedTables,
  garbageBody,
  hostileValue,
  nastyKeys,
  nested,
  nestedJson,
  pollutedJson,
  printWithout,
  raw,
  withPollution,
} from './hostile-support.js';
import {
  buildWorld,
  FUZZ_WAIT_SECONDS,
  type Input,
  uncovered,
  type Who,
  type World,
  worldConfig,
} from './hostile-world.js';

let t: TestHub;
let w: World;
let callers: Array<string | undefined>;
let opNames: string[];
const tally = { ok: 0, refused: 0 };
const opOf = (name: string) => t.hub.invoker.ops.get(name);

beforeAll(async () => {
  t = await startTestHub(worldConfig);
  w = await buildWorld(t);
  callers = [undefined, w.alpha.token, t.adminToken, 'sb_bogus-token'];
  opNames = [...t.hub.invoker.ops.keys()];
}, 120_000);

afterAll(async () => {
  await w?.close();
  await t?.close();
});

const tokenOf = (who: Who) => (who === 'agent' ? w.alpha.token : who === 'admin' ? t.adminToken : undefined);
const whoOf = (token: string | undefined): Who =>
  token === t.adminToken ? 'admin' : token === w.alpha.token ? 'agent' : 'anonymous';

/** The valid input of `op` for this caller: the admin names the agent it acts for. */
function actingFor(op: string, input: Input, who: Who): Input {
  const out = { ...input };
  const shape = (opOf(op)?.input as { shape?: Record<string, unknown> } | undefined)?.shape ?? {};
  if (who === 'admin' && opOf(op)?.access === 'agent') {
    if ('from' in shape) out.from = w.alpha.id;
    else if ('agent_id' in shape && !('agent_id' in out)) out.agent_id = w.alpha.id;
  }
  return out;
}

/**
 * One fresh valid input per operation, to start the hostile changes from; calls that wait for someone
 * else to answer wait only FUZZ_WAIT_SECONDS, as nobody answers here.
 */
async function bases(): Promise<Record<string, Input>> {
  const out: Record<string, Input> = {};
  for (const op of opNames) {
    const c = w.cases[op];
    // An operation without a valid input (the coverage test fails on it) starts from no input.
    if (!c) {
      out[op] = {};
      continue;
    }
    const input = await c.prepare(opOf(op)?.access === 'admin' ? 'admin' : 'agent');
    out[op] =
      c.meanwhile && 'timeout_seconds' in input ? { ...input, timeout_seconds: FUZZ_WAIT_SECONDS } : input;
  }
  await w.settle();
  return out;
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
  await w.settle();
  const before = await fingerprint(t);
  const res = await raw(t, 'POST', `/api/v1/ops/${encodeURIComponent(op)}`, { body, headers });
  const who = token && whoOf(token) === 'anonymous' ? 'a bogus token' : whoOf(token);
  const what = `${op} as ${who} with ${body.slice(0, 160)}`;
  expectNoServerError(res, what, { waits: opOf(op)?.blocking === true });
  // A timeout is not a refusal: `request` stores its question, then gives up waiting for the answer.
  if (res.status >= 400 && res.json?.error?.code !== 'timeout')
    expect(await fingerprint(t), `rejected but wrote: ${what}`).toBe(before);
  tally[res.status < 300 ? 'ok' : 'refused']++;
  return res;
}

const defaultCallers = (op: string): Who[] => {
  const access = opOf(op)?.access;
  return access === 'public' ? ['anonymous', 'agent'] : access === 'admin' ? ['admin'] : ['agent', 'admin'];
};

/** An operation no table here knows: added to a second hub, to see the coverage check catch it. */
const unknownOp = defineOp({
  name: 'hostile_unlisted',
  group: 'system',
  summary: 'An operation added at run time',
  access: 'public',
  input: z.strictObject({}),
  output: z.object({}),
  handler: async () => ({}),
});

describe('hostile input: every operation via POST /api/v1/ops/<name>', () => {
  it('has a valid input for every operation of the hub, and none for an operation it lacks', () => {
    expect(uncovered(opNames, w.cases)).toEqual({ missing: [], stale: [] });
  });

  it('would fail for an operation added without a valid input, or a valid input left without its operation', async () => {
    const other = await startTestHub({}, { extraOps: [unknownOp] });
    try {
      expect(uncovered(other.hub.invoker.ops.keys(), w.cases)).toEqual({
        missing: ['hostile_unlisted'],
        stale: [],
      });
    } finally {
      await other.close();
    }
    expect(
      uncovered(
        opNames.filter((n) => n !== 'whoami'),
        w.cases,
      ),
    ).toEqual({ missing: [], stale: ['whoami'] });
  });

  it('starts from inputs that are valid: every operation succeeds with its own, as each kind of caller', async () => {
    // Every failure is collected, so one run names all the operations whose valid input broke.
    const failures: string[] = [];
    for (const op of opNames.filter((name) => name in w.cases)) {
      const c = w.cases[op];
      for (const who of c.as ?? defaultCallers(op)) {
        try {
          const input = actingFor(op, await c.prepare(who), who);
          const token = c.token?.(input, who) ?? tokenOf(who);
          const answered = c.meanwhile?.().then(
            () => undefined,
            (err: unknown) => err,
          );
          const res = await callOp(op, JSON.stringify(input), token);
          expect(res.status, res.text.slice(0, 300)).toBeLessThan(300);
          const failed = await answered;
          if (failed) throw failed;
          c.check?.(res.json, who);
          await c.cleanup?.(res.json);
        } catch (err) {
          failures.push(`${op} as ${who}: ${(err as Error).message.slice(0, 400)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);

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
    const base = await bases();
    for (const op of opNames) {
      const valid = base[op];
      const variants = [
        ...bodies,
        JSON.stringify({ ...valid, zzz_unknown: 1 }),
        JSON.stringify(Object.fromEntries(Object.keys(valid).map((k) => [k, nested(100)]))),
        JSON.stringify(Object.fromEntries(Object.keys(valid).map((k) => [k, 'x'.repeat(200_000)]))),
        withPollution(valid, [0, 1, 2]),
        // The valid input with one field nested far too deep (JSON.stringify would overflow on it).
        ...Object.keys(valid).map((k) =>
          JSON.stringify({ ...valid, [k]: '__DEEP__' }).replace('"__DEEP__"', nestedJson(10_000)),
        ),
      ];
      for (const body of variants) {
        // Big bodies as the agent (past authentication); the small ones as every kind of caller.
        for (const token of body.length > 10_000 ? [callers[1]] : callers) {
          const res = await callOp(op, body, token);
          // Nothing here is valid input for an operation that takes fields, except `null`/'' (= no input).
          if (body.startsWith('{"__proto__"') || body.startsWith('{"constructor"'))
            expect(res.status).toBe(400);
          // Past authorization: the admin, or the agent on an operation that is not admin-only.
          const authenticated =
            token === t.adminToken || (token === callers[1] && opOf(op)?.access !== 'admin');
          if (authenticated && body.length > 1000 && (body.includes('{"a":{"a":') || body.includes('[[[[')))
            expect(res.status, `${op} deep: ${res.text.slice(0, 300)}`).toBe(400);
        }
      }
    }
    expectPrototypesClean();
  }, 900_000);

  it('property: a valid input with one hostile change never yields a 5xx or a half-written store', async () => {
    tally.ok = 0;
    tally.refused = 0;
    const base = await bases();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...opNames),
        // Mostly as the agent, so that inputs get past authentication into validation and the handlers.
        fc.constantFrom(0, 1, 1, 1, 1, 1, 2, 2, 3),
        mutation,
        async (op, who, m) => {
          await callOp(op, apply(actingFor(op, base[op], whoOf(callers[who])), m), callers[who]);
        },
      ),
      { numRuns: 500 },
    );
    // The mutations reach past validation: a good share of them still succeed.
    // Some mutations are still valid input (they reach the handlers), most are refused.
    expect(tally.ok).toBeGreaterThan(0);
    expect(tally.refused).toBeGreaterThan(250);
    expectPrototypesClean();
  }, 900_000);

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
  }, 300_000);

  it('fingerprints every table of the schema: a change to any of them shows', async () => {
    const all = await allTables(t);
    const printed = (await fingerprintedTables(t)).map((x) => x.table);
    // Only the full-text index, the analytics rollups and (PostgreSQL) the cluster's bus outbox and
    // node heartbeats are left out (see hostile-support.ts).
    expect(
      all
        .filter((name) => !printed.includes(name))
        .filter((name) => !/fts|^messages_search|^analytics_|^bus_events$|^nodes$/.test(name)),
    ).toEqual([]);
    const empty: string[] = [];
    for (const table of printed) {
      const probe = await printWithout(t, table);
      if (!probe) {
        empty.push(table);
        continue;
      }
      expect(probe.emptied, `emptying ${table}`).not.toBe(probe.before);
      expect(await fingerprint(t)).toBe(probe.before);
    }
    // A table the world never writes to could not be seen changing: give it a row in hostile-world.ts.
    expect(empty).toEqual([]);
  });

  it('is still up and answering afterwards', async () => {
    expect((await raw(t, 'GET', '/health')).status).toBe(200);
    const status = await t.api('POST', '/api/v1/ops/hub_status', { body: {} });
    expect(status.status).toBe(200);
    expect(status.body.status).toBe('ok');
    expectPrototypesClean();
  });
});
