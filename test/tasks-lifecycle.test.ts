/**
 * Tasks around their edges: list_tasks takes one status or a list, auto routing with nobody
 * capable leaves the task open, a retired holder's tasks re-open at once, the deadline sweep
 * has its index, and wait_for_task sends progress notifications over MCP while it waits.
 */
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../src/store/postgres/index.js';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { TestClock } from './helpers/clock.js';
import { connect2025, connect2026, structured } from './mcp-clients.js';

let t: TestHub;
const clients: Client[] = [];
beforeAll(async () => {
  t = await startTestHub();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => {})));
  await t.close();
});

const post = (token: string, body: Record<string, unknown>) =>
  t.api('POST', '/api/v1/tasks', { token, body });

describe('list_tasks status', () => {
  it('accepts a single status as a string (MCP, REST) as well as a list', async () => {
    const boss = await t.register('list-boss', { project: 'listing' });
    const w = await t.register('list-worker', { project: 'listing' });
    const open = (await post(boss.token, { title: 'stays open' })).body.task;
    const taken = (await post(boss.token, { title: 'taken' })).body.task;
    await t.api('POST', `/api/v1/tasks/${taken.task_id}/claim`, { token: w.token, body: {} });

    const mcp = await connect2026(t.url, { token: boss.token });
    clients.push(mcp);
    const one = structured(await mcp.callTool({ name: 'list_tasks', arguments: { status: 'open' } }));
    expect(one.tasks.map((x: any) => x.task_id)).toEqual([open.task_id]);
    const both = structured(
      await mcp.callTool({ name: 'list_tasks', arguments: { status: ['open', 'claimed'] } }),
    );
    expect(both.tasks.map((x: any) => x.task_id).sort()).toEqual([open.task_id, taken.task_id].sort());

    const rest = await t.api('GET', '/api/v1/tasks?status=claimed', { token: boss.token });
    expect(rest.body.tasks.map((x: any) => x.task_id)).toEqual([taken.task_id]);
    const bad = await mcp.callTool({ name: 'list_tasks', arguments: { status: 'done' } });
    expect(bad.isError).toBe(true);
  });
});

describe('route: "auto" with no capable agent', () => {
  it('keeps the task open and says so; a capable agent that comes later claims it', async () => {
    const boss = await t.register('route-boss', { project: 'routing' });
    const res = await post(boss.token, {
      title: 'translate',
      route: 'auto',
      required_capabilities: ['klingon'],
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      routed: false,
      route_reason: expect.stringMatching(/no active agent with capabilities klingon.*stays open/),
      task: { status: 'open', assignee: null },
    });
    const later = await t.register('linguist', { project: 'routing', capabilities: ['klingon'] });
    const claimed = await t.api('POST', '/api/v1/ops/claim_task', { token: later.token, body: {} });
    expect(claimed.body.task).toMatchObject({ task_id: res.body.task.task_id, assignee: later.id });

    // With a capable agent present it is routed to it.
    const routed = await post(boss.token, {
      title: 'translate more',
      route: 'auto',
      required_capabilities: ['klingon'],
    });
    expect(routed.body).toMatchObject({ routed: true, task: { status: 'claimed', assignee: later.id } });
  });
});

describe('a retired holder', () => {
  it('loses its tasks at once: they re-open for another agent, the attempt counted', async () => {
    const boss = await t.register('retire-boss', { project: 'retiring' });
    const w1 = await t.register('leaving', { project: 'retiring' });
    const w2 = await t.register('staying', { project: 'retiring' });
    const long = { lease_seconds: 86_400, max_attempts: 3 };
    const a = (await post(boss.token, { title: 'a', ...long })).body.task;
    const b = (await post(boss.token, { title: 'b', ...long })).body.task;
    await t.api('POST', `/api/v1/tasks/${a.task_id}/claim`, { token: w1.token, body: {} });
    await t.api('POST', `/api/v1/tasks/${b.task_id}/claim`, { token: w1.token, body: {} });
    await t.api('POST', `/api/v1/tasks/${b.task_id}/update`, {
      token: w1.token,
      body: { progress: 10 },
    });

    const retired = await t.api('DELETE', `/api/v1/agents/${w1.id}`, { token: w1.token });
    expect(retired.status).toBe(200);
    // The release follows the agent.retired event; read until it shows (no clock involved).
    const openTasks = async () =>
      (await t.api('GET', '/api/v1/tasks?status=open', { token: boss.token })).body.tasks;
    while ((await openTasks()).length < 2) await new Promise((r) => setTimeout(r, 10));
    for (const task of await openTasks()) {
      expect(task).toMatchObject({ status: 'open', assignee: null, attempts: 1 });
      expect(task.failure_reason).toMatch(new RegExp(`${w1.id} was retired`));
    }
    const next = await t.api('POST', `/api/v1/tasks/${a.task_id}/claim`, { token: w2.token, body: {} });
    expect(next.body.task).toMatchObject({ status: 'claimed', assignee: w2.id, attempts: 2 });
  });
});

describe('a holder retired for absence', () => {
  it('loses its task at once too, long before the task lease would run out', async () => {
    const clock = new TestClock();
    const hub = await startTestHub({ presence: { retireAfterSeconds: 3600 } }, { clock });
    try {
      const w = await hub.register('absent-worker', { agent_id: 'absent-worker' });
      const boss = await hub.register('present-boss');
      const task = (
        await hub.api('POST', '/api/v1/tasks', {
          token: boss.token,
          body: { title: 'long job', lease_seconds: 86_400 },
        })
      ).body.task;
      await hub.api('POST', `/api/v1/tasks/${task.task_id}/claim`, { token: w.token, body: {} });
      clock.advance(1800);
      await hub.api('POST', `/api/v1/agents/${boss.id}/heartbeat`, { token: boss.token, body: {} });
      clock.advance(1801);
      const { retired } = await hub.hub.services.agents.sweep();
      expect(retired).toEqual(['absent-worker']);
      const read = async () =>
        (await hub.api('GET', `/api/v1/tasks/${task.task_id}`, { token: boss.token })).body.task;
      while ((await read()).status !== 'open') await new Promise((r) => setTimeout(r, 10));
      expect(await read()).toMatchObject({
        status: 'open',
        assignee: null,
        failure_reason: expect.stringMatching(/absent-worker was retired \(absent too long\)/),
      });
    } finally {
      await hub.close();
    }
  });
});

describe('the deadline sweep', () => {
  it('finds overdue tasks through an index, not a table scan', async () => {
    const query = `SELECT id FROM tasks WHERE status IN ('open', 'claimed', 'in_progress', 'input_required')
      AND deadline < $1 ORDER BY deadline LIMIT $2`;
    if (t.hub.store instanceof PostgresStore) {
      // A table this small is cheaper to scan: forbid that to see that the index serves the query.
      const plan = await t.hub.store.db.tx(async (c) => {
        await c.query('SET LOCAL enable_seqscan = off');
        return (await c.query(`EXPLAIN ${query}`, ['2030-01-01T00:00:00.000Z', 10])).rows;
      });
      expect(plan.map((p) => p['QUERY PLAN']).join('\n')).toMatch(/Index Scan using tasks_deadline/);
      return;
    }
    const db = new Database(join(t.home, 'switchboard.db'), { readonly: true });
    try {
      const plan = db
        .prepare(`EXPLAIN QUERY PLAN ${query.replace('$1', '?').replace('$2', '?')}`)
        .all('2030-01-01T00:00:00.000Z', 10) as Array<{ detail: string }>;
      expect(plan.map((p) => p.detail).join('\n')).toMatch(/USING INDEX tasks_deadline/);
    } finally {
      db.close();
    }
  });
});

describe('wait_for_task over MCP', () => {
  it('sends progress notifications while it waits, then returns the finished task', async () => {
    const boss = await t.register('wait-boss', { project: 'waiting' });
    const w = await t.register('wait-worker', { project: 'waiting' });
    const task = (await post(boss.token, { title: 'slow' })).body.task;
    await t.api('POST', `/api/v1/tasks/${task.task_id}/claim`, { token: w.token, body: {} });

    const mcp = await connect2025(t.url, { token: boss.token });
    clients.push(mcp);
    const progress: Array<{ progress: number; total?: number; message?: string }> = [];
    let finished = false;
    const out = structured(
      await mcp.callTool(
        {
          name: 'wait_for_task',
          arguments: { task_id: task.task_id, until: 'finished', timeout_seconds: 120 },
        },
        {
          // The worker finishes only once a notification has arrived: the wait must be sending them.
          onprogress: (p) => {
            progress.push(p);
            if (finished) return;
            finished = true;
            void t.api('POST', `/api/v1/tasks/${task.task_id}/complete`, {
              token: w.token,
              body: { result: { ok: true } },
            });
          },
          timeout: 130_000,
        },
      ),
    );
    expect(out.task).toMatchObject({ status: 'completed', result: { ok: true } });
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0]).toMatchObject({
      total: 120,
      message: expect.stringMatching(new RegExp(`waiting for task ${task.task_id}`)),
    });
  }, 140_000);
});
