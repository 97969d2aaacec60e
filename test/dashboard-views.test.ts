/**
 * The dashboard's Tasks, Instances and Gateway views in real headless Chromium against a real hub with
 * real downstream fixture servers (stdio) and scripted instances (real child processes): tasks move on
 * the board as they are created, claimed, re-opened and completed over REST; an instance shows its
 * output and tokens and Terminate on the page ends it; a call held for approval is approved from the
 * page and its caller gets the result; a breaker opening shows live; an agent token gets no buttons.
 * Screenshots: docs/screenshots/{tasks,instances,gateway}.png with UPDATE_SCREENSHOTS=1.
 */
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, loginLink, type TestBrowser } from './helpers/browser.js';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { spawnScripted } from './helpers/instances.js';
import { eventually, FIXTURE } from './gateway-support.js';
import { connect2025, textOf } from './mcp-clients.js';

let t: TestHub;
let tb: TestBrowser;
const clients: Client[] = [];
const instances: string[] = [];

beforeAll(async () => {
  tb = await launchBrowser();
  t = await startTestHub({
    analytics: { cacheSeconds: 0 },
    gateway: {
      // No periodic pings: a good ping would close the breaker this file opens.
      healthIntervalSeconds: 3600,
      approvals: {
        timeoutSeconds: 120,
        rules: [{ tools: ['fixture__fixture_echo'], args: { text: '^danger' }, reason: 'dangerous echo' }],
      },
      servers: [
        { name: 'fixture', command: process.execPath, args: [FIXTURE, 'views-fixture'] },
        {
          name: 'brk',
          command: process.execPath,
          args: [FIXTURE, 'views-brk'],
          breaker: { failureThreshold: 2, resetSeconds: 600 },
        },
      ],
    },
  });
  for (const name of ['fixture', 'brk']) {
    await eventually(async () => {
      const res = await t.api('GET', `/api/v1/gateway/health?name=${name}`, { token: t.adminToken });
      return res.body.servers[0].state === 'ready';
    });
  }
});

afterEach(() => {
  expect(tb.pageErrors).toEqual([]);
});

afterAll(async () => {
  for (const id of instances) await t?.api('DELETE', `/api/v1/instances/${id}`, { token: t.adminToken });
  for (const c of clients) await c.close().catch(() => {});
  await tb?.close();
  await t?.close();
});

async function openView(token: string, view: string): Promise<Page> {
  const page = await tb.open(loginLink(t.url, token), { width: 1280, height: 860 });
  await page.click(`nav button[data-view=${view}]`);
  return page;
}

const post = async (path: string, token: string, body: unknown = {}) => {
  const res = await t.api('POST', path, { token, body });
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
};

describe('Tasks view', () => {
  it('a task moves on the board within 2 s as it is created, claimed, re-opened and completed; its detail shows tree, attempts and result', async () => {
    const lead = await t.register('Lead', { project: 'board' });
    const worker = await t.register('Worker', { project: 'board', capabilities: ['build'] });
    const page = await openView(t.adminToken, 'tasks');
    await page.locator('[data-testid=task-board]').waitFor();

    const card = (status: string, id: string) =>
      page.locator(`[data-testid=task-column-${status}] [data-task-id="${id}"]`);

    const { task } = await post('/api/v1/tasks', lead.token, { title: 'Build the release', max_attempts: 3 });
    await card('open', task.task_id).waitFor({ timeout: 2_000 });
    expect(await card('open', task.task_id).textContent()).toContain('unclaimed');

    await post(`/api/v1/tasks/${task.task_id}/claim`, worker.token);
    await card('claimed', task.task_id).waitFor({ timeout: 2_000 });
    expect(await card('open', task.task_id).count()).toBe(0);
    expect(await card('claimed', task.task_id).locator('[data-role=holder]').textContent()).toBe(
      `held by ${worker.id}`,
    );
    expect(await card('claimed', task.task_id).locator('[data-role=attempts]').textContent()).toBe(
      'attempt 1 of 3',
    );

    // Given back: re-opened, then claimed again (attempt 2), with progress.
    await post(`/api/v1/tasks/${task.task_id}/fail`, worker.token, { reason: 'disk full', retryable: true });
    await card('open', task.task_id).locator('text=re-opened ×1').waitFor({ timeout: 2_000 });
    await post(`/api/v1/tasks/${task.task_id}/claim`, worker.token);
    await post(`/api/v1/tasks/${task.task_id}/update`, worker.token, { progress: 40, note: 'compiling' });
    await card('in_progress', task.task_id).waitFor({ timeout: 2_000 });
    expect(await card('in_progress', task.task_id).locator('[data-role=attempts]').textContent()).toBe(
      'attempt 2 of 3',
    );

    const child = (
      await post('/api/v1/tasks', lead.token, { title: 'Sign the binaries', parent_task_id: task.task_id })
    ).task;
    await card('open', child.task_id).waitFor({ timeout: 2_000 });
    const other = (await post('/api/v1/tasks', lead.token, { title: 'Write the changelog' })).task;
    await card('open', other.task_id).waitFor({ timeout: 2_000 });

    // The detail: parent and children, claims and the re-open, progress.
    await card('in_progress', task.task_id).click();
    const detail = page.locator(`[data-testid=task-detail][data-task-id="${task.task_id}"]`);
    await detail.waitFor();
    await detail.locator(`[data-role=children] [data-task-link="${child.task_id}"]`).waitFor();
    const attempts = detail.locator('[data-role=attempts]');
    expect(await attempts.textContent()).toContain('attempts2 of 3');
    expect(await attempts.textContent()).toContain('re-opened after attempt 1: disk full');
    // The attempt history (list_task_attempts): the first ended re-opened, the second runs.
    const outcomes = () =>
      attempts
        .locator('[data-attempt]')
        .evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)));
    await expect.poll(outcomes).toEqual([
      ['1', worker.id, expect.any(String), expect.any(String), 'reopened'],
      ['2', worker.id, expect.any(String), '', 'running'],
    ]);

    await post(`/api/v1/tasks/${task.task_id}/complete`, worker.token, { result: { version: '1.4.0' } });
    await card('completed', task.task_id).waitFor({ timeout: 2_000 });
    await detail.locator('[data-role=status]', { hasText: 'completed' }).waitFor({ timeout: 2_000 });
    await expect.poll(async () => (await outcomes()).map((row) => row[4])).toEqual(['reopened', 'completed']);
    // The history is the project's: another project's agent is told there is no such task.
    const outsider = await t.register('Outsider', { project: 'elsewhere' });
    const hidden = await t.api('GET', `/api/v1/tasks/${task.task_id}/attempts`, { token: outsider.token });
    expect(hidden.status).toBe(404);
    expect(JSON.parse((await detail.locator('[data-role=result]').textContent())!)).toEqual({
      version: '1.4.0',
    });

    // The child's detail links back to its parent.
    await card('open', child.task_id).click();
    await page
      .locator(
        `[data-testid=task-detail][data-task-id="${child.task_id}"] [data-task-link="${task.task_id}"]`,
      )
      .waitFor();
    await post(`/api/v1/tasks/${other.task_id}/claim`, worker.token);
    await card('claimed', other.task_id).waitFor({ timeout: 2_000 });
    await card('completed', task.task_id).click();
    await detail.locator(`[data-role=children] [data-task-link="${child.task_id}"]`).waitFor();

    // A task created while the stream is down is on the board once it is back (the view reloads).
    t.hub.http.server.closeAllConnections();
    await page.locator('#live.off').waitFor({ timeout: 5_000 });
    const missed = (await post('/api/v1/tasks', lead.token, { title: 'Created while offline' })).task;
    await page.locator('#live.on').waitFor({ timeout: 15_000 });
    await card('open', missed.task_id).waitFor({ timeout: 2_000 });
    await post(`/api/v1/tasks/${missed.task_id}/cancel`, lead.token, { reason: 'not needed' });
    await card('cancelled', missed.task_id).waitFor({ timeout: 2_000 });
    await page.screenshot({ path: join(tb.shots, 'tasks.png'), fullPage: true });
    await page.context().close();
  });
});

describe('Instances view', () => {
  it('a scripted instance appears in the tree with its output and tokens; Terminate from the page ends it', async () => {
    const boss = await t.register('Boss', { project: 'fleet' });
    const page = await openView(t.adminToken, 'instances');
    await page.locator('main h2', { hasText: 'Instances' }).waitFor();

    const inst = await spawnScripted(
      t,
      boss.token,
      {
        default: {
          reply: 'release notes drafted',
          usage: { input_tokens: 100, output_tokens: 10 },
          cost_usd: 0.25,
        },
      },
      {
        name: 'writer',
        role: 'documentation_writer',
        task: 'Draft the release notes',
        limits: { max_tokens: 1000, max_cost_usd: 1 },
      },
    );
    instances.push(inst.instance_id);
    const row = page.locator(`[data-testid=instance-tree] [data-instance-id="${inst.instance_id}"]`);
    await row.waitFor({ timeout: 2_000 });
    await row
      .locator('[data-role=output]', { hasText: 'release notes drafted' })
      .waitFor({ timeout: 15_000 });
    await row.locator('[data-role=tokens]', { hasText: '110 tokens of 1,000' }).waitFor({ timeout: 5_000 });
    expect(await row.locator('[data-role=cost]').textContent()).toBe('$0.2500 of $1.00');
    expect(await row.locator('[data-role=turns]').textContent()).toBe('1 turn');
    await row.locator('[data-role=status]', { hasText: 'idle' }).waitFor();

    // A child of it, in the tree below its parent.
    const child = await spawnScripted(
      t,
      boss.token,
      { default: { reply: 'checked' } },
      { name: 'checker', role: 'code_reviewer', parent_id: inst.instance_id, task: 'Check the notes' },
    );
    instances.push(child.instance_id);
    const childRow = page.locator(`[data-instance-id="${child.instance_id}"].depth-1`);
    await childRow.locator('[data-role=output]', { hasText: 'checked' }).waitFor({ timeout: 15_000 });
    await childRow.locator('[data-role=turns]', { hasText: '1 turn' }).waitFor({ timeout: 5_000 });
    await row.click();
    await page.locator('[data-testid=instance-output]', { hasText: 'Draft the release notes' }).waitFor();
    await page.screenshot({ path: join(tb.shots, 'instances.png'), fullPage: true });

    await row.locator('[data-action=terminate]').click();
    await row.locator('[data-role=status]', { hasText: 'stopped' }).waitFor({ timeout: 10_000 });
    await page.locator('[data-role=notice]', { hasText: 'Terminate writer' }).waitFor();
    // The hub says so too, for it and its child; the buttons are gone.
    for (const id of [inst.instance_id, child.instance_id]) {
      const status = await t.api('GET', `/api/v1/instances/${id}`, { token: t.adminToken });
      expect(status.body.status).toBe('stopped');
    }
    expect(await row.locator('[data-action]').count()).toBe(0);
    await page.context().close();
  });
});

describe('Gateway view', () => {
  it('a held call shows in the queue and Approve from the page lets it finish; a breaker opening shows live', async () => {
    const caller = await t.register('Caller', { project: 'gw' });
    const mcp = await connect2025(t.url, { token: caller.token });
    const admin = await connect2025(t.url, { token: t.adminToken });
    clients.push(mcp, admin);
    await post('/api/v1/workflows', t.adminToken, {
      definition: {
        name: 'echo twice',
        steps: [
          { id: 'first', call: 'fixture__fixture_echo', input: { text: 'one' } },
          { id: 'second', call: 'fixture__fixture_echo', input: { text: 'two' } },
        ],
      },
      wait: true,
    });

    const page = await openView(t.adminToken, 'gateway');
    const servers = page.locator('[data-testid=gateway-servers]');
    await servers.locator('[data-server=brk] [data-role=breaker]', { hasText: 'closed' }).waitFor();
    await page.locator('[data-testid=gateway-tools] [data-tool="fixture__fixture_echo"]').waitFor();
    await page
      .locator('[data-testid=gateway-steps] [data-step-id=second]', { hasText: 'completed' })
      .waitFor();

    // Two failures in a row open brk's breaker: the page shows it without a reload.
    const flaky = { key: `views-${Date.now()}`, failures: 5 };
    for (let n = 0; n < 2; n++) {
      const res = await admin.callTool({ name: 'brk__fixture_flaky_write', arguments: flaky });
      expect(res.isError).toBe(true);
    }
    await servers
      .locator('[data-server=brk] [data-role=breaker]', { hasText: /^open$/ })
      .waitFor({ timeout: 1_000 });
    expect(await servers.locator('[data-server=brk] [data-role=health]').textContent()).toBe('unhealthy');
    // The tool figures follow: two calls, both errors.
    const brkTool = page.locator('[data-testid=gateway-tools] [data-tool="brk__fixture_flaky_write"] td');
    await expect
      .poll(() => brkTool.allTextContents(), { timeout: 5_000 })
      .toEqual([
        'brk__fixture_flaky_write',
        '2',
        '2',
        '100.0%',
        expect.any(String),
        expect.any(String),
        expect.any(String),
      ]);

    let settled = false;
    const call = mcp
      .callTool({ name: 'fixture__fixture_echo', arguments: { text: 'danger: drop the table' } })
      .finally(() => (settled = true));
    const row = page.locator('[data-testid=gateway-approvals] tr[data-status=pending]', {
      hasText: 'danger: drop the table',
    });
    await row.waitFor({ timeout: 5_000 });
    expect(await row.textContent()).toContain(`agent:${caller.id}`);
    expect(settled).toBe(false);
    await page.screenshot({ path: join(tb.shots, 'gateway.png'), fullPage: true });

    await row.locator('[data-action=approve]').click();
    const result = await call;
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toBe('danger: drop the table');
    const decided = await t.api('GET', '/api/v1/gateway/approvals?status=approved', { token: t.adminToken });
    expect(decided.body.approvals[0]).toMatchObject({
      args: { text: 'danger: drop the table' },
      decided_by: 'admin',
      reason: 'approved from the dashboard',
    });
    await page
      .locator('[data-testid=gateway-approvals] tr[data-status=approved]', {
        hasText: 'danger: drop the table',
      })
      .waitFor({ timeout: 2_000 });

    await page.context().close();
  });
});

describe('Gateway view: permission prompts', () => {
  it('a relayed prompt shows kind, agent, tool, description and input; Approve and Deny reach the waiting session', async () => {
    const session = await t.register('Session', { project: 'relay' });
    const open = async (request_id: string, tool_name: string) =>
      (
        await post('/api/v1/gateway/permissions', session.token, {
          request_id,
          tool_name,
          description: `${tool_name} wants to touch src/${request_id}.ts`,
          input_preview: JSON.stringify({ file_path: `src/${request_id}.ts` }),
        })
      ).approval.id as string;
    // What `switchboard mcp --permission-relay` does: block on the decision.
    const waitFor = (id: string) =>
      post(`/api/v1/gateway/approvals/${id}/wait`, session.token, { timeout_seconds: 60 });

    const page = await openView(t.adminToken, 'gateway');
    await page.locator('h2', { hasText: 'Approvals queue' }).waitFor();
    const allowId = await open('allow', 'Edit');
    const denyId = await open('denyx', 'Bash');
    const allowed = waitFor(allowId);
    const denied = waitFor(denyId);

    const row = page.locator(`[data-testid=gateway-approvals] tr[data-approval-id="${allowId}"]`);
    await row.waitFor({ timeout: 5_000 });
    expect(await row.getAttribute('data-kind')).toBe('permission');
    expect(await row.locator('[data-role=kind]').textContent()).toBe('permission');
    expect(await row.locator('[data-role=tool]').textContent()).toBe('Edit');
    expect(await row.locator('[data-role=description]').textContent()).toBe(
      'Edit wants to touch src/allow.ts',
    );
    expect(await row.locator('[data-role=input]').textContent()).toContain('"file_path":"src/allow.ts"');
    expect(await row.locator('[data-role=agent]').textContent()).toBe(`agent:${session.id} · project relay`);

    await row.locator('[data-action=approve]').click();
    expect((await allowed).approval).toMatchObject({ status: 'approved', decided_by: 'admin' });
    await page
      .locator(`[data-testid=gateway-approvals] tr[data-approval-id="${allowId}"][data-status=approved]`)
      .waitFor({ timeout: 2_000 });

    await page.locator(`[data-approval-id="${denyId}"] [data-action=deny]`).click();
    expect((await denied).approval).toMatchObject({
      status: 'denied',
      reason: 'denied from the dashboard',
    });
    await page.context().close();
  });
});

describe('an agent token', () => {
  it('sees its own instances and no Terminate, Interrupt, Approve or Deny buttons', async () => {
    const me = await t.register('Viewer', { project: 'readonly' });
    const inst = await spawnScripted(
      t,
      me.token,
      { default: { reply: 'hello from mine' } },
      { task: 'Say hello' },
    );
    instances.push(inst.instance_id);
    const mcp = await connect2025(t.url, { token: me.token });
    clients.push(mcp);
    const call = mcp.callTool({
      name: 'fixture__fixture_echo',
      arguments: { text: 'danger: held for the admin' },
    });
    const held = await eventually(async () => {
      const res = await t.api('GET', '/api/v1/gateway/approvals?status=pending', { token: t.adminToken });
      return res.body.approvals.find((a: any) => a.args.text === 'danger: held for the admin');
    });

    // The admin's page shows the buttons the agent's page must not.
    const adminPage = await openView(t.adminToken, 'gateway');
    await adminPage.locator(`[data-approval-id="${held.id}"] [data-action=approve]`).waitFor();
    await adminPage.click('nav button[data-view=instances]');
    await adminPage.locator(`[data-instance-id="${inst.instance_id}"] [data-action=terminate]`).waitFor();

    const page = await openView(me.token, 'instances');
    const row = page.locator(`[data-instance-id="${inst.instance_id}"]`);
    await row.locator('[data-role=output]', { hasText: 'hello from mine' }).waitFor({ timeout: 15_000 });
    expect(await page.locator('[data-action]').count()).toBe(0);
    await page.click('nav button[data-view=gateway]');
    await page.locator('main', { hasText: 'for the admin token' }).waitFor();
    await page
      .locator('[data-testid=gateway-runs], main p:has-text("No workflow runs yet.")')
      .first()
      .waitFor();
    expect(await page.locator('[data-action]').count()).toBe(0);
    expect(await page.locator(`[data-approval-id="${held.id}"]`).count()).toBe(0);
    // Tasks: its project's, not another's.
    const stranger = await t.register('Stranger', { project: 'elsewhere' });
    const mine = (await post('/api/v1/tasks', me.token, { title: 'Mine' })).task;
    const theirs = (await post('/api/v1/tasks', stranger.token, { title: 'Theirs' })).task;
    await page.click('nav button[data-view=tasks]');
    await page.locator(`[data-testid=task-column-open] [data-task-id="${mine.task_id}"]`).waitFor();
    expect(await page.locator(`[data-task-id="${theirs.task_id}"]`).count()).toBe(0);
    expect(await page.locator('[data-action]').count()).toBe(0);

    await post(`/api/v1/gateway/approvals/${held.id}/deny`, t.adminToken, { reason: 'test over' });
    expect((await call).isError).toBe(true);
    await adminPage.context().close();
    await page.context().close();
  });
});
