/**
 * The dashboard's Analytics view and Overview in real headless Chromium against a real hub: after
 * messages are sent, the Analytics view draws uPlot charts and a usage table with the exact per-agent
 * counts; the Overview shows the latest insights (a known finding), spend today, open tasks, running
 * instances and the downstream servers' health. An agent token sees its own project only.
 * Screenshots: docs/screenshots/analytics.png and overview.png with UPDATE_SCREENSHOTS=1.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineOp } from '../src/ops/types.js';
import { FIXTURE } from './gateway-support.js';
import { launchBrowser, loginLink, type TestBrowser } from './helpers/browser.js';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { spawnScripted, until } from './helpers/instances.js';

let t: TestHub;
let tb: TestBrowser;
let instanceId: string | undefined;

/**
 * An analytics operation the page has never heard of, with a `series` in its answer (as
 * analytics_performance and analytics_engagement have): the Analytics view charts it by itself.
 */
const asked: unknown[] = [];
const loadSeries = defineOp({
  name: 'analytics_test_load',
  group: 'analytics',
  summary: 'A test series: load per minute',
  access: 'agent',
  http: { method: 'GET', path: '/api/v1/analytics/test-load' },
  annotations: { readOnly: true },
  input: z.strictObject({
    since: z.string().optional(),
    bucket: z.enum(['minute', 'hour', 'day']).optional(),
  }),
  output: z.object({ series: z.array(z.object({ bucket_start: z.string(), load: z.number() })) }),
  async handler(_ctx, input) {
    asked.push(input);
    const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString();
    return { series: [{ bucket_start: minute, load: 7 }] };
  },
});

beforeAll(async () => {
  tb = await launchBrowser();
  t = await startTestHub({
    analytics: { cacheSeconds: 0 },
    gateway: { servers: [{ name: 'fixture', command: process.execPath, args: [FIXTURE, 'dashboard'] }] },
  });
});

afterEach(() => {
  expect(tb.pageErrors).toEqual([]);
});

afterAll(async () => {
  if (instanceId) await t?.api('DELETE', `/api/v1/instances/${instanceId}`, { token: t.adminToken });
  await tb?.close();
  await t?.close();
});

async function send(from: { token: string }, to: string, body: string) {
  const r = await t.api('POST', '/api/v1/messages', { token: from.token, body: { to, body } });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}

describe('dashboard: Analytics and Overview', () => {
  it('charts the traffic, counts each agent’s messages exactly, and lists the latest insights', async () => {
    const ann = await t.register('Ann', { agent_id: 'ann', role: 'lead' });
    const bob = await t.register('Bob', { agent_id: 'bob', role: 'worker' });
    await t.register('Sink', { agent_id: 'sink', role: 'worker' });
    for (let i = 0; i < 3; i++) await send(ann, bob.id, `job ${i}`);
    await send(bob, ann.id, 'done');
    // Sink is sent six messages and never reads them: a backlog finding.
    for (let i = 0; i < 6; i++) await send(ann, 'sink', `note ${i}`);
    const task = await t.api('POST', '/api/v1/tasks', { token: ann.token, body: { title: 'Write docs' } });
    expect(task.status).toBe(201);
    const inst = await spawnScripted(t, ann.token, {
      default: { reply: 'ok', usage: { input_tokens: 100, output_tokens: 10 }, cost_usd: 0.25 },
    });
    instanceId = inst.instance_id;
    const turn = await t.api('POST', `/api/v1/instances/${inst.instance_id}/send`, {
      token: ann.token,
      body: { message: 'go', timeout_seconds: 60 },
    });
    expect(turn.body.status).toBe('completed');
    await until(
      'the fixture server',
      async () =>
        (await t.api('GET', '/api/v1/gateway/health?name=fixture', { token: t.adminToken })).body.servers?.[0]
          ?.state === 'ready',
    );

    const page = await tb.open(loginLink(t.url, t.adminToken), { width: 1200, height: 1500 });
    // Overview: the known finding, spend today, open tasks, running instances, servers' health.
    const backlog = page.locator('[data-testid=insights-list] li[data-kind=backlog]');
    await backlog.waitFor({ timeout: 5_000 });
    expect(await backlog.textContent()).toBe(
      'warningSink (sink) has 6 unread messages and takes in more than it sends',
    );
    await page.locator('[data-testid=spend-today] .n', { hasText: '$0.25' }).waitFor();
    await page.locator('[data-testid=open-tasks] .n', { hasText: /^1$/ }).waitFor();
    await page.locator('[data-testid=running-instances] .n', { hasText: /^1$/ }).waitFor();
    await page
      .locator('[data-testid=servers-health] [data-server=fixture]', { hasText: 'healthy' })
      .waitFor();
    const rate = async () => Number(await page.locator('[data-testid=messages-per-second] .n').textContent());
    await expect.poll(rate).toBeGreaterThan(0);
    await page.screenshot({ path: join(tb.shots, 'overview.png'), fullPage: true });

    // A burst of messages while the Overview is open raises messages/s without a reload of the page.
    const before = await rate();
    for (let i = 0; i < 30; i++) await send(bob, ann.id, `more ${i}`);
    await expect.poll(rate, { timeout: 5_000 }).toBeGreaterThan(before);

    // Analytics: a uPlot chart of messages by type and per agent, the usage table, the calls table.
    await page.click('nav button[data-view=analytics]');
    await page.locator('[data-testid=chart-history] canvas').waitFor({ timeout: 5_000 });
    await page.locator('[data-testid=chart-usage] canvas').waitFor();
    await expect
      .poll(() => page.locator('[data-testid=chart-history] .u-legend').textContent())
      .toContain('message');
    const cell = (agent: string, col: string) =>
      page.locator(`[data-testid=usage-table] tr[data-agent=${agent}] td[data-col=${col}]`).textContent();
    expect([await cell('ann', 'sent'), await cell('bob', 'sent'), await cell('sink', 'sent')]).toEqual([
      '9',
      '31',
      '0',
    ]);
    expect([
      await cell('ann', 'received'),
      await cell('bob', 'received'),
      await cell('sink', 'received'),
    ]).toEqual(['31', '3', '6']);
    const sendRow = page.locator('[data-testid=tools-table] tr[data-name=send_message] td');
    expect(await sendRow.nth(2).textContent()).toBe('40');
    await page.screenshot({ path: join(tb.shots, 'analytics.png'), fullPage: true });

    // Another range: the charts are drawn again, per hour.
    await page.click('[data-testid=range-picker] button[data-range=day]');
    await page.locator('[data-testid=range-picker] button.active[data-range=day]').waitFor();
    await page.locator('[data-testid=chart-history] h3', { hasText: 'per hour' }).waitFor();
    await page.locator('[data-testid=chart-history] canvas').waitFor();
    await page.context().close();
  });

  it('shows an agent the analytics of its own project only', async () => {
    const x = await t.register('X', { agent_id: 'x', project: 'other' });
    await t.register('Y', { agent_id: 'y', project: 'other' });
    await send(x, 'y', 'hello');
    const page = await tb.open(loginLink(t.url, x.token));
    await page
      .locator('[data-testid=servers-health]', { hasText: 'The admin sees downstream servers' })
      .waitFor();
    await page.locator('[data-testid=insights-none]').waitFor();
    await page.click('nav button[data-view=analytics]');
    await page.locator('[data-testid=usage-table] tr[data-agent=x]').waitFor({ timeout: 5_000 });
    const agents = await page
      .locator('[data-testid=usage-table] tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-agent')));
    expect(agents.sort()).toEqual(['x', 'y']);
    await page.context().close();
  });

  it('charts any other analytics operation whose answer has a series, asked with the range', async () => {
    const other = await startTestHub({}, { extraOps: [loadSeries] });
    try {
      const page = await tb.open(loginLink(other.url, other.adminToken));
      await page.click('nav button[data-view=analytics]');
      const chart = page.locator('[data-testid="chart-analytics_test_load-series"]');
      await chart.locator('canvas').waitFor({ timeout: 5_000 });
      expect(await chart.locator('.u-legend').textContent()).toContain('load');
      expect(asked.at(-1)).toEqual({ since: expect.stringMatching(/^\d{4}-/), bucket: 'minute' });
      await page.click('[data-testid=range-picker] button[data-range=week]');
      await expect.poll(() => asked.at(-1)).toEqual({ since: expect.any(String), bucket: 'hour' });
      await chart.locator('canvas').waitFor();
      await page.context().close();
    } finally {
      await other.close();
    }
  });
});
