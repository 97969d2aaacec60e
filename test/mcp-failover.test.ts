/**
 * `switchboard mcp` with several hub URLs (SWITCHBOARD_URL=a,b), spawned as a real process (needs the
 * build) and driven by the official SDK stdio client: when the first node dies, the bridge's tool
 * calls go to the next node and its channel push resumes there from its cursor, every message pushed
 * once, in order. Here the other node is a hub started on the dead node's data at another port (no
 * shared state needed); the two-live-nodes-on-PostgreSQL version is in client-failover-cluster.test.ts.
 */
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type Bridge, deadUrl, idsPushed, startBridge } from './helpers/bridge-session.js';
import { startTestHub, type TestHub } from './helpers/hub.js';

const hubs: TestHub[] = [];
const bridges: Bridge[] = [];
const homes: string[] = [];

afterEach(async () => {
  for (const b of bridges.splice(0)) await b.client.close().catch(() => {});
  for (const h of hubs.splice(0)) await h.close().catch(() => {});
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

async function op(hub: TestHub, token: string, name: string, input: Record<string, unknown> = {}) {
  const res = await hub.api('POST', `/api/v1/ops/${name}`, { token, body: input });
  if (res.status !== 200) throw new Error(`${name}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

describe('switchboard mcp with two hub URLs', () => {
  it('moves to the second URL when the first hub dies: tool calls go on, the channel resumes from its cursor', async () => {
    const first = await startTestHub();
    homes.push(first.home);
    const next = await deadUrl();
    const a = await first.register('fo-a');
    const b = await first.register('fo-b');
    await op(first, b.token, 'set_delivery_settings', { batch_window_ms: 0 });
    const bridge = await startBridge({ urls: [first.url, next], token: b.token, home: first.home });
    bridges.push(bridge);

    const sent: string[] = [];
    sent.push((await op(first, a.token, 'send_message', { to: b.id, body: 'before' })).message_id);
    await expect.poll(() => idsPushed(bridge), { timeout: 15_000 }).toEqual(sent);

    await first.hub.close(); // the first node dies
    const second = await startTestHub({ home: first.home, port: Number(new URL(next).port) });
    hubs.push(second);
    for (const n of [1, 2, 3]) {
      sent.push((await op(second, a.token, 'send_message', { to: b.id, body: `after-${n}` })).message_id);
    }
    await expect.poll(() => idsPushed(bridge), { timeout: 20_000 }).toEqual(sent);

    const me = await bridge.client.callTool({ name: 'whoami', arguments: {} });
    expect(me.isError).toBeFalsy();
    expect(me.structuredContent).toMatchObject({ agent: { agent_id: b.id } });
    // Pushed messages are marked read on the node that is left.
    await expect
      .poll(async () => (await op(second, b.token, 'check_inbox', { mark_read: false })).messages.length, {
        timeout: 10_000,
      })
      .toBe(0);
  });
});
