/** Live push edges: SSE resume across a long backlog, and blocking calls ending with their socket. */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { channels } from '../src/bus/bus.js';
import { hubPerTest, type TestHub } from './helpers/hub.js';
import { until } from './helpers/wait.js';

let t: TestHub | undefined;
const hubs = hubPerTest();

async function sendMany(hub: TestHub, token: string, to: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < n; start += 100) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, n - start) }, (_, i) =>
        hub.api('POST', '/api/v1/messages', { token, body: { to, body: `m${start + i}` } }),
      ),
    );
    ids.push(...batch.map((r) => r.body.message_id));
  }
  return ids;
}

describe('live push', () => {
  it('an SSE client resuming from cursor 0 gets a backlog longer than one replay page, then live messages', async () => {
    t = await hubs.start({ rateLimit: { enabled: false } });
    const a = await t.register('A');
    const b = await t.register('B');
    const backlog = await sendMany(t, a.token, b.id, 1200);

    const controller = new AbortController();
    const res = await fetch(`${t.url}/api/v1/events?since=0`, {
      headers: { authorization: `Bearer ${b.token}` },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const seen: string[] = [];
    const ids: number[] = [];
    let live: string | undefined;
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    while (seen.length < 1201) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (!/^event: message$/m.test(block)) continue;
        const data = JSON.parse(/^data: (.*)$/m.exec(block)![1]);
        ids.push(Number(/^id: (\d+)$/m.exec(block)![1]));
        seen.push(data.message.message_id);
      }
      if (seen.length === 1200 && !live) {
        live = (await t.api('POST', '/api/v1/messages', { token: a.token, body: { to: b.id, body: 'live' } }))
          .body.message_id;
      }
    }
    controller.abort();
    // Sends of one batch were concurrent: any order among them is an order they committed in.
    const byBatch = (xs: string[]) =>
      Array.from({ length: xs.length / 100 }, (_, i) => xs.slice(i * 100, i * 100 + 100).sort());
    expect(byBatch(seen.slice(0, 1200))).toEqual(byBatch(backlog));
    expect(seen[1200]).toBe(live);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
  });

  it('a wait_for_messages called over a WebSocket ends when the socket closes', async () => {
    t = await hubs.start();
    const a = await t.register('A');
    const channel = channels.agent(a.id);
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/ws/${a.id}?token=${a.token}`);
    await new Promise((resolve) => ws.once('message', resolve)); // ready
    const baseline = t.hub.bus.listenerCount(channel); // the socket's own subscription
    ws.send(
      JSON.stringify({ type: 'call', id: 1, op: 'wait_for_messages', input: { timeout_seconds: 300 } }),
    );
    await until(
      'the wait_for_messages call to subscribe',
      () => t!.hub.bus.listenerCount(channel) !== baseline,
      10_000,
    );
    expect(t.hub.bus.listenerCount(channel)).toBe(baseline + 1);
    ws.close();
    await until(
      'the closed socket to drop its subscriptions',
      () => t!.hub.bus.listenerCount(channel) === 0,
      10_000,
    );
    expect(t.hub.bus.listenerCount(channel)).toBe(0);
  });
});
