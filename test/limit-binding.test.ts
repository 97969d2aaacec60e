/**
 * Each call's own limit holds when the same read runs again with another limit: the hot SQLite reads
 * keep one prepared statement and take the limit as `LIMIT (? + 0)` (src/store/sqlite/statements.ts),
 * so a statement reused with a new binding must still stop at the new limit. Inbox, wait, thread,
 * search, context list and history, task and agent lists; on either store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './helpers/hub.js';

let t: TestHub;
let a: { id: string; token: string };
let b: { id: string; token: string };
let thread: string;

const sizes = [1, 3, 1, 5, 2];

beforeAll(async () => {
  t = await startTestHub();
  a = await t.register('limit-a');
  b = await t.register('limit-b');
  for (let i = 0; i < 5; i++) {
    const sent = await t.api('POST', '/api/v1/messages', {
      token: a.token,
      body: { to: b.id, body: `limit probe ${i}`, ...(thread ? { thread_id: thread } : {}) },
    });
    expect(sent.status).toBe(200);
    thread ??= (sent.body as { thread_id: string }).thread_id;
    expect(
      (await t.api('PUT', '/api/v1/context/global/limit-key', { token: a.token, body: { value: i } })).status,
    ).toBe(200);
    expect(
      (await t.api('PUT', `/api/v1/context/global/limit-${i}`, { token: a.token, body: { value: i } }))
        .status,
    ).toBe(200);
    expect(
      (await t.api('POST', '/api/v1/tasks', { token: a.token, body: { title: `limit task ${i}` } })).status,
    ).toBe(201);
  }
});
afterAll(() => t?.close());

async function count(path: string, token: string, pick: (body: Record<string, unknown>) => unknown[]) {
  const res = await t.api('GET', path, { token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return pick(res.body as Record<string, unknown>).length;
}

describe('a read run again with another limit', () => {
  const reads: Array<
    [string, (n: number) => string, () => string, (body: Record<string, unknown>) => unknown[]]
  > = [
    [
      'inbox',
      (n) => `/api/v1/messages?limit=${n}&mark_read=false`,
      () => b.token,
      (r) => r.messages as unknown[],
    ],
    [
      'wait',
      (n) => `/api/v1/messages/wait?limit=${n}&since=0&timeout_seconds=0`,
      () => b.token,
      (r) => r.messages as unknown[],
    ],
    ['thread', (n) => `/api/v1/threads/${thread}?limit=${n}`, () => b.token, (r) => r.messages as unknown[]],
    [
      'search',
      (n) => `/api/v1/messages/search?query=probe&limit=${n}`,
      () => b.token,
      (r) => r.messages as unknown[],
    ],
    [
      'context list',
      (n) => `/api/v1/context/global?prefix=limit-&limit=${n}`,
      () => a.token,
      (r) => r.entries as unknown[],
    ],
    [
      'context history',
      (n) => `/api/v1/context/global/limit-key/history?limit=${n}`,
      () => a.token,
      (r) => r.changes as unknown[],
    ],
    ['task list', (n) => `/api/v1/tasks?limit=${n}`, () => a.token, (r) => r.tasks as unknown[]],
    ['agent list', (n) => `/api/v1/agents?limit=${n}`, () => a.token, (r) => r.agents as unknown[]],
  ];
  for (const [name, path, token, pick] of reads) {
    it(`${name}: each call stops at its own limit`, async () => {
      const got: number[] = [];
      for (const n of sizes) got.push(await count(path(n), token(), pick));
      // Agents: the two registered here (and no more); everything else holds five or more.
      const most = name === 'agent list' ? 2 : 5;
      expect(got).toEqual(sizes.map((n) => Math.min(n, most)));
    });
  }
});
