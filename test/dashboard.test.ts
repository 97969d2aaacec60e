/**
 * The web dashboard in real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core)
 * against a real hub: log in through the link `switchboard dashboard` prints, watch agents and
 * messages arrive live, open a thread, compose as the overseer, and see an agent token kept to its own
 * project. Screenshots of each view are taken (into docs/screenshots/ with UPDATE_SCREENSHOTS=1). Needs `npm run build` (the CLI and the
 * built page); without Chromium it fails saying how to install it — it never skips.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODE } from '../src/core/errors.js';
import { createLogger } from '../src/core/logger.js';
import { runCli } from './helpers/cli.js';
import { launchBrowser, loginLink, type TestBrowser } from './helpers/browser.js';
import { startTestHub, type TestHub } from './helpers/hub.js';

let t: TestHub;
let tb: TestBrowser;
let log = '';
const sink = new PassThrough();
sink.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));

function dashboardCli(args: string[], env: Record<string, string | undefined> = {}) {
  return runCli(['dashboard', ...args], { HOME: t.home, SWITCHBOARD_URL: t.url, ...env });
}

beforeAll(async () => {
  tb = await launchBrowser();
  t = await startTestHub({}, { logger: createLogger('debug', sink) });
});

afterEach(() => {
  expect(tb.pageErrors).toEqual([]);
});

afterAll(async () => {
  await tb?.close();
  await t?.close();
});

const openDashboard = (link: string): Promise<Page> => tb.open(link);

describe('switchboard dashboard', () => {
  it('prints a login link with the admin token in the fragment only', async () => {
    const run = await dashboardCli(['--home', t.home]);
    expect(run.code).toBe(0);
    const link = new URL(run.stdout.trim());
    expect(link.origin).toBe(t.url);
    expect(link.pathname).toBe('/ui/');
    expect(link.search).toBe('');
    expect(link.hash).toBe(`#token=${encodeURIComponent(t.adminToken)}`);
  });

  it('--open hands the link to xdg-open; --json; a missing token or opener is a one-line error', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'switchboard-opener-'));
    try {
      const opened = join(bin, 'opened');
      writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s' "$1" > ${opened}\n`, { mode: 0o755 });
      const run = await dashboardCli(['--home', t.home, '--open'], { PATH: `${bin}:${process.env.PATH}` });
      expect(run.code).toBe(0);
      await expect.poll(() => existsSync(opened) && readFileSync(opened, 'utf8')).toBe(run.stdout.trim());

      const json = await dashboardCli(['--token', 'agent-token-x', '--json']);
      expect(JSON.parse(json.stdout)).toEqual({ url: `${t.url}/ui/#token=agent-token-x`, identity: 'agent' });

      const noOpener = await dashboardCli(['--home', t.home, '--open'], { PATH: bin.replace(/$/, '/none') });
      expect(noOpener.code).toBe(EXIT_CODE.unavailable);
      expect(noOpener.stderr).toMatch(/^switchboard: Cannot open a browser: xdg-open is not installed/);

      const noToken = await dashboardCli(['--home', bin]);
      expect(noToken.code).toBe(EXIT_CODE.unauthorized);
      expect(noToken.stderr.trim().split('\n')).toHaveLength(1);
      expect(noToken.stdout).toBe('');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('the hub serves the page at /ui/, redirects / there, and names no file outside dist/ui', async () => {
    const root = await fetch(`${t.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/ui/');
    const page = await fetch(`${t.url}/ui/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/connect-src 'self'/);
    for (const path of [
      '/ui/..%2f..%2fpackage.json',
      '/ui/%2e%2e/%2e%2e/package.json',
      '/ui/a%00.js',
      '/ui/x%5c..%5cpackage.json',
    ]) {
      const res = await fetch(t.url + path);
      expect(res.status, path).toBe(404);
    }
    // A page of another origin is refused, as on every route.
    const foreign = await fetch(`${t.url}/ui/`, { headers: { origin: 'http://evil.example' } });
    expect(foreign.status).toBe(403);
  });

  it('the admin sees agents, messages and threads live, and composes as the overseer', async () => {
    const { stdout } = await dashboardCli(['--home', t.home]);
    const page = await openDashboard(stdout.trim());
    // The token left the address bar and lives in this tab's sessionStorage only.
    expect(page.url()).toBe(`${t.url}/ui/`);
    expect(await page.evaluate('document.cookie')).toBe('');
    await page.locator('#who', { hasText: 'admin' }).waitFor();

    await page.click('nav button[data-view=agents]');
    const alice = await t.register('Alice', { capabilities: ['review'], role: 'reviewer' });
    const bob = await t.register('Bob', { capabilities: ['build'] });
    await page.locator(`tr[data-agent-id="${alice.id}"]`).waitFor({ timeout: 2_000 });
    await page.locator(`tr[data-agent-id="${bob.id}"]`).waitFor({ timeout: 2_000 });
    await page.screenshot({ path: join(tb.shots, 'agents.png') });

    await page.click('nav button[data-view=messages]');
    const sent = await t.api('POST', '/api/v1/messages', {
      token: alice.token,
      body: { to: bob.id, subject: 'Review', body: 'Please look at PR 7' },
    });
    expect(sent.status).toBe(200);
    const item = page.locator(`[data-testid=feed] li[data-message-id="${sent.body.message_id}"]`);
    await item.waitFor({ timeout: 2_000 });
    expect(await item.textContent()).toContain('Please look at PR 7');
    const reply = await t.api('POST', '/api/v1/messages', {
      token: bob.token,
      body: { to: alice.id, reply_to: sent.body.message_id, body: 'On it' },
    });
    expect(reply.status).toBe(200);
    await page.locator(`[data-testid=feed] li[data-message-id="${reply.body.message_id}"]`).waitFor();
    await item.click();
    const thread = page.locator('[data-testid=thread]');
    await thread.locator(`li[data-message-id="${reply.body.message_id}"]`).waitFor();
    expect(await thread.locator('li').count()).toBe(2);
    // The open thread follows new replies live.
    const more = await t.api('POST', '/api/v1/messages', {
      token: alice.token,
      body: { to: bob.id, reply_to: reply.body.message_id, body: 'Thanks' },
    });
    await thread.locator(`li[data-message-id="${more.body.message_id}"]`).waitFor({ timeout: 2_000 });
    expect(await thread.locator('li').count()).toBe(3);

    await page.fill('form[data-role=search] input', 'PR');
    await page.click('form[data-role=search] button');
    await page.locator('[data-role=feed-title]', { hasText: 'Search results (1)' }).waitFor();

    await page.selectOption('select[name=to]', bob.id);
    await page.fill('textarea[name=body]', 'Status report, please');
    await page.click('form[data-role=compose] button');
    await page.locator('[data-role=compose-status]', { hasText: 'Sent' }).waitFor();
    // An empty search goes back to the live feed.
    await page.fill('form[data-role=search] input', '');
    await page.click('form[data-role=search] button');
    await page.locator('[data-role=feed-title]', { hasText: 'Live feed' }).waitFor();
    await page.locator(`[data-testid=feed] li[data-message-id="${more.body.message_id}"]`).waitFor();
    await page.screenshot({ path: join(tb.shots, 'messages.png') });
    const inbox = await t.api('GET', '/api/v1/messages', { token: bob.token });
    expect(inbox.status).toBe(200);
    const fromOverseer = inbox.body.messages.filter((m: any) => m.from === 'overseer');
    expect(fromOverseer.map((m: any) => m.body)).toEqual(['Status report, please']);

    await page.click('nav button[data-view=overview]');
    await page.locator('[data-testid=agents-active] .n', { hasText: '3' }).waitFor();
    await page.locator('[data-testid=version] .n', { hasText: /\d+\.\d+/ }).waitFor();
    await page.screenshot({ path: join(tb.shots, 'overview.png') });

    // The hub never saw the fragment: no log line holds the admin token.
    expect(log.length).toBeGreaterThan(0);
    expect(log).not.toContain(t.adminToken);
    await page.context().close();
  });

  it('an agent token sees its own project only, and writes as itself', async () => {
    const mine = await t.register('Carol', { project: 'alpha' });
    const peer = await t.register('Dave', { project: 'alpha' });
    const other = await t.register('Eve', { project: 'beta' });
    const { stdout, code } = await dashboardCli(['--token', mine.token]);
    expect(code).toBe(0);
    const page = await openDashboard(stdout.trim());
    await page.locator('#who', { hasText: `agent ${mine.id}` }).waitFor();
    await page.click('nav button[data-view=agents]');
    await page.locator(`tr[data-agent-id="${peer.id}"]`).waitFor();
    // A new agent of another project registers live: it must not show up either.
    const late = await t.register('Mallory', { project: 'beta' });
    const lateMine = await t.register('Frank', { project: 'alpha' });
    await page.locator(`tr[data-agent-id="${lateMine.id}"]`).waitFor({ timeout: 2_000 });
    const shown = await page
      .locator('tr[data-agent-id]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-agent-id')));
    expect(shown).not.toContain(other.id);
    expect(shown).not.toContain(late.id);
    expect(shown).toEqual(expect.arrayContaining([mine.id, peer.id, lateMine.id]));

    await page.click('nav button[data-view=messages]');
    const options = await page
      .locator('select[name=to] option')
      .evaluateAll((os) => os.map((o) => o.getAttribute('value')));
    expect(options).not.toContain(other.id);
    await page.selectOption('select[name=to]', peer.id);
    await page.fill('textarea[name=body]', 'hello from Carol');
    await page.click('form[data-role=compose] button');
    await page.locator('[data-role=compose-status]', { hasText: 'Sent' }).waitFor();
    const inbox = await t.api('GET', '/api/v1/messages', { token: peer.token });
    expect(inbox.body.messages.map((m: any) => [m.from, m.body])).toEqual([[mine.id, 'hello from Carol']]);
    // What is sent to this agent shows in its live feed; what goes between other agents does not.
    const toOther = await t.api('POST', '/api/v1/messages', {
      token: other.token,
      body: { to: late.id, body: 'beta only' },
    });
    const toMe = await t.api('POST', '/api/v1/messages', {
      token: peer.token,
      body: { to: mine.id, body: 'hi Carol' },
    });
    await page
      .locator(`[data-testid=feed] li[data-message-id="${toMe.body.message_id}"]`)
      .waitFor({ timeout: 2_000 });
    expect(await page.locator(`li[data-message-id="${toOther.body.message_id}"]`).count()).toBe(0);
    expect(log).not.toContain(mine.token);
    await page.context().close();
  });

  it("one agent's detail: backlog, threads, tasks, leases, kept live", async () => {
    const lead = await t.register('Lena', { project: 'detail' });
    const dev = await t.register('Dmitri', { project: 'detail' });
    const first = await t.api('POST', '/api/v1/messages', {
      token: lead.token,
      body: { to: dev.id, subject: 'Plan', body: 'step 1' },
    });
    for (const body of ['step 2', 'step 3']) {
      const r = await t.api('POST', '/api/v1/messages', {
        token: lead.token,
        body: { to: dev.id, reply_to: first.body.message_id, body },
      });
      expect(r.status).toBe(200);
    }
    const task = await t.api('POST', '/api/v1/tasks', {
      token: lead.token,
      body: { title: 'Write the parser', assignee: dev.id },
    });
    expect(task.status).toBe(201);
    const lease = await t.api('POST', '/api/v1/leases', {
      token: dev.token,
      body: { patterns: ['src/parser/**'] },
    });
    expect(lease.status).toBe(201);

    const page = await openDashboard(loginLink(t.url, t.adminToken));
    await page.click('nav button[data-view=agents]');
    await page.click(`tr[data-agent-id="${dev.id}"]`);
    const detail = page.locator(`[data-testid=agent-detail][data-agent-id="${dev.id}"]`);
    await detail.locator('[data-testid=agent-unread] .n', { hasText: /^3$/ }).waitFor({ timeout: 5_000 });
    await detail.locator('[data-testid=agent-received] .n', { hasText: /^3$/ }).waitFor();
    expect(await detail.locator('[data-testid=agent-threads] li').allTextContents()).toEqual([
      expect.stringMatching(new RegExp(`^${first.body.thread_id} · last active `)),
    ]);
    expect(await detail.locator('[data-testid=agent-tasks] li').allTextContents()).toEqual([
      'Write the parser · claimed',
    ]);
    expect(await detail.locator('[data-testid=agent-leases] li').allTextContents()).toEqual([
      expect.stringMatching(/^src\/parser\/\*\* · exclusive · until /),
    ]);
    // A new message to it raises its backlog on the open page, once the analytics cache
    // (analytics.cacheSeconds, 5 s by default) has let the figure go.
    await t.api('POST', '/api/v1/messages', { token: lead.token, body: { to: dev.id, body: 'step 4' } });
    await detail.locator('[data-testid=agent-unread] .n', { hasText: /^4$/ }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(tb.shots, 'agents.png') });
    await page.context().close();
  });

  it('a wrong token shows how to sign in and is forgotten', async () => {
    const page = await (await tb.browser.newContext()).newPage();
    page.on('pageerror', (err) => tb.pageErrors.push(err.message));
    await page.goto(`${t.url}/ui/#token=not-a-real-token`);
    await page.locator('h2', { hasText: 'Not signed in' }).waitFor();
    expect(page.url()).toBe(`${t.url}/ui/`);
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await page.context().close();
  });
});
