/**
 * The dashboard's Graph view in real headless Chromium against a real hub: one drawn node per agent
 * (sigma.js on WebGL), the patterns listed, a node's figures on selection, live refresh when messages
 * arrive, and an agent token kept to its own project. Screenshot: graph.png. Needs `npm run build`.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, loginLink, type TestBrowser } from './helpers/browser.js';
import { startTestHub, type TestHub } from './helpers/hub.js';

let t: TestHub;
let tb: TestBrowser;
type Agent = { id: string; token: string };
let x: Agent;

const send = async (from: Agent, to: Agent, body: Record<string, unknown> = {}) => {
  const r = await t.api('POST', '/api/v1/messages', {
    token: from.token,
    body: { to: to.id, body: 'x', ...body },
  });
  expect(r.status).toBe(200);
  return r.body.message_id as string;
};
const read = async (who: Agent) =>
  expect((await t.api('GET', `/api/v1/messages?agent_id=${who.id}`, { token: who.token })).status).toBe(200);

/** H asks S1–S4 (they answer); A → B → C → D pass work; Q asks N four times, unanswered; I is silent. */
beforeAll(async () => {
  tb = await launchBrowser();
  t = await startTestHub();
  const reg = (name: string, extra: Record<string, unknown> = {}) =>
    t.register(name, { agent_id: name.toLowerCase(), ...extra });
  const H = await reg('Hub', { agent_id: 'h', role: 'lead' });
  for (let i = 1; i <= 4; i++) {
    const s = await reg(`S${i}`);
    const q = await send(H, s, { type: 'request' });
    await read(s);
    await send(s, H, { type: 'response', reply_to: q });
  }
  await read(H);
  const chain = [await reg('A'), await reg('B'), await reg('C'), await reg('D')];
  for (let i = 1; i < chain.length; i++) {
    await send(chain[i - 1]!, chain[i]!);
    await read(chain[i]!);
  }
  const [q, n] = [await reg('Q'), await reg('N')];
  for (let i = 0; i < 4; i++) await send(q, n, { type: 'request' });
  await reg('I');
  x = await reg('X', { project: 'other' });
  await send(x, await reg('Y', { project: 'other' }));
});

afterEach(() => {
  expect(tb.pageErrors).toEqual([]);
});

afterAll(async () => {
  await tb?.close();
  await t?.close();
});

async function openGraph(token: string): Promise<Page> {
  const page = await tb.open(loginLink(t.url, token), { width: 1280, height: 800 });
  await page.click('nav button[data-view=graph]');
  await page.locator('[data-testid=graph-canvas][data-nodes]').waitFor({ timeout: 10_000 });
  return page;
}

const drawnNodes = async (page: Page): Promise<string[]> =>
  JSON.parse((await page.getAttribute('[data-testid=graph-canvas]', 'data-nodes')) ?? '[]');

describe('dashboard: Graph view', () => {
  it('draws one node per agent, lists the patterns and shows a node’s figures', async () => {
    const page = await openGraph(t.adminToken);
    const agents = (await t.api('GET', '/api/v1/agents', { token: t.adminToken })).body.agents;
    const ids = agents.map((a: { agent_id: string }) => a.agent_id).sort();
    expect(ids).toHaveLength(14);
    expect(await drawnNodes(page)).toEqual(ids);
    // sigma drew on WebGL canvases inside the container.
    expect(await page.locator('[data-testid=graph-canvas] canvas').count()).toBeGreaterThan(0);
    await expect
      .poll(() => page.locator('[data-role=summary]').textContent())
      .toBe('14 agents, 13 edges, 16 messages · edge width by traffic');

    expect(await page.locator('[data-testid=graph-patterns] li[data-kind=hub]').textContent()).toBe(
      'Hub is a hub: linked with 4 agents, it carries 8 of the 8 messages of its group (100%)',
    );
    expect(await page.locator('[data-testid=graph-patterns] li[data-kind=pipeline]').textContent()).toBe(
      'Pipeline: A → B → C → D pass work along (1, 1, 1 messages per hop)',
    );
    expect(await page.locator('[data-testid=graph-patterns] li[data-kind=bottleneck]').textContent()).toMatch(
      /^N is a bottleneck: 4 unread, 4 requests unanswered/,
    );

    await page.click('[data-testid=graph-nodes] button[data-agent-id=h]');
    const figures = page.locator('[data-testid=graph-figures][data-agent-id=h]');
    await figures.waitFor();
    expect(await figures.locator('h3').textContent()).toBe('Hub');
    const dl = Object.fromEntries(
      await figures
        .locator('dl > div')
        .evaluateAll((divs) =>
          divs.map((d) => [d.querySelector('dt')!.textContent, d.querySelector('dd')!.textContent]),
        ),
    );
    expect(dl).toMatchObject({ Sent: '4', Received: '4', 'Unread backlog': '0', 'Talks with': '4' });
    expect(await figures.locator('.graph-edges li').count()).toBe(8);
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: join(tb.shots, 'graph.png'), fullPage: true });

    // Clicking the drawn node itself (sigma's own hit test on the canvas) shows that agent.
    const n = page.locator('[data-testid=graph-nodes] button[data-agent-id=n][data-x]');
    await n.waitFor();
    const box = (await page.locator('[data-testid=graph-canvas]').boundingBox())!;
    const [nx, ny] = [Number(await n.getAttribute('data-x')), Number(await n.getAttribute('data-y'))];
    await page.mouse.click(box.x + nx, box.y + ny);
    const nFigures = page.locator('[data-testid=graph-figures][data-agent-id=n]');
    await nFigures.waitFor({ timeout: 5_000 });
    expect(await nFigures.locator('.graph-pattern.bottleneck').count()).toBe(1);
    expect(await nFigures.locator('.graph-edges li').allTextContents()).toEqual([
      'Q → N: 4 msg, 4 req, 0 answered, reliability 0%',
    ]);
    await page.close();
  });

  it('redraws when messages arrive', async () => {
    const page = await openGraph(t.adminToken);
    const z = await t.register('Z', { agent_id: 'z' });
    const hub = { id: 'h', token: '' };
    await send(z, hub as Agent);
    await expect.poll(() => drawnNodes(page), { timeout: 15_000 }).toContain('z');
    await expect
      .poll(() => page.locator('[data-role=summary]').textContent(), { timeout: 15_000 })
      .toBe('15 agents, 14 edges, 17 messages · edge width by traffic');
    await page.close();
  });

  it('an agent token sees its own project’s graph only', async () => {
    const page = await openGraph(x.token);
    expect(await drawnNodes(page)).toEqual(['x', 'y']);
    expect(await page.locator('[data-testid=graph-nodes] button').count()).toBe(2);
    await page.close();
  });
});
