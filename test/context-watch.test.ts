/** Watchers of shared context: watch_context wakes, WebSocket subscribers get context.changed, MCP resources/updated. */
import type { Client } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { contextKeyChannel } from '../src/bus/context-events.js';
import { hubForFile } from './helpers/hub.js';
import { connect2025, connect2026, structured } from './mcp-clients.js';

const clients: Client[] = [];
const t = hubForFile(
  {},
  {
    beforeClose: async () => {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
    },
  },
);

const set = (token: string, path: string, body: unknown) =>
  t.api('PUT', `/api/v1/context/${path}`, { token, body });

/** Frames of one type from a socket, as they come. */
function openSocket(agent: { id: string; token: string }) {
  const ws = new WebSocket(`${t.url.replace('http', 'ws')}/ws/${agent.id}?token=${agent.token}`);
  const frames: any[] = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (data) => {
    frames.push(JSON.parse(String(data)));
    for (const w of waiters.splice(0)) w();
  });
  const next = async (type: string): Promise<any> => {
    for (;;) {
      const i = frames.findIndex((f) => f.type === type);
      if (i >= 0) return frames.splice(i, 1)[0];
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  return { ws, next };
}

describe('watch_context', () => {
  it('blocks until the key changes and returns the new value', async () => {
    const a = await t.register('writer');
    const b = await t.register('watcher');
    await set(a.token, 'global/status', { value: 'building' });
    const watching = t.api('GET', '/api/v1/context/global/status/watch?timeout_seconds=60', {
      token: b.token,
    });
    // The watch is registered once the hub listens on the key; then change it.
    while (t.hub.bus.listenerCount(contextKeyChannel('global', '', 'status')) === 0)
      await new Promise((r) => setTimeout(r, 5));
    await set(a.token, 'global/status', { value: 'green' });
    const res = await watching;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      changed: true,
      timed_out: false,
      version: 2,
      entry: { value: 'green' },
    });
  });

  it('returns at once when since_version is behind, and times out quietly otherwise', async () => {
    const a = await t.register('w2');
    await set(a.token, 'global/counter', { value: 1 });
    await set(a.token, 'global/counter', { value: 2 });
    const behind = await t.api('GET', '/api/v1/context/global/counter/watch?since_version=1', {
      token: a.token,
    });
    expect(behind.body).toMatchObject({ changed: true, version: 2, entry: { value: 2 } });
    const quiet = await t.api('GET', '/api/v1/context/global/counter/watch?timeout_seconds=0.2', {
      token: a.token,
    });
    expect(quiet.body).toMatchObject({ changed: false, timed_out: true, version: 2 });
    const absent = await t.api('GET', '/api/v1/context/global/nothing/watch?timeout_seconds=0', {
      token: a.token,
    });
    expect(absent.body).toMatchObject({ changed: false, timed_out: true, version: 0, entry: null });
  });
});

describe('expiry', () => {
  it('wakes a watcher when the key expires, and records the expiry', async () => {
    const a = await t.register('ttl-watcher');
    await set(a.token, 'global/short-lived', { value: 'here', ttl_seconds: 1 });
    const res = await t.api('GET', '/api/v1/context/global/short-lived/watch?timeout_seconds=30', {
      token: a.token,
    });
    expect(res.body).toMatchObject({ changed: true, timed_out: false, entry: null });
    const history = await t.api('GET', '/api/v1/context/global/short-lived/history', { token: a.token });
    expect(history.body.changes[0]).toMatchObject({ change: 'expire', version: 2 });
  });
});

describe('subscribers', () => {
  it('a WebSocket client of a subscribed agent gets context.changed events for the key and for a whole scope', async () => {
    const a = await t.register('ws-writer', { project: 'ws-proj' });
    const b = await t.register('ws-watcher', { project: 'ws-proj' });
    const sub = await t.api('POST', '/api/v1/context/subscribe', {
      token: b.token,
      body: { scope: 'global', key: 'deploy' },
    });
    expect(sub.body).toMatchObject({ subscribed: true, key: 'deploy' });
    await t.api('POST', '/api/v1/context/subscribe', { token: b.token, body: { scope: 'project' } });
    const socket = openSocket(b);
    await socket.next('ready');
    await set(a.token, 'global/deploy', { value: { env: 'staging' } });
    const frame = await socket.next('context.changed');
    expect(frame).toMatchObject({
      scope: 'global',
      key: 'deploy',
      change: 'set',
      version: 1,
      value: { env: 'staging' },
      by: a.id,
    });
    await set(a.token, 'project/owner', { value: a.id });
    expect(await socket.next('context.changed')).toMatchObject({
      scope: 'project',
      scope_id: 'ws-proj',
      key: 'owner',
    });
    await t.api('DELETE', '/api/v1/context/global/deploy', { token: a.token });
    expect(await socket.next('context.changed')).toMatchObject({
      key: 'deploy',
      change: 'delete',
      value: null,
    });
    socket.ws.close();
  });
});

describe('MCP resource switchboard://context/<scope>/<key>', () => {
  it('reads as get_context and notifies a 2025 subscriber on change', async () => {
    const client = await connect2025(t.url);
    clients.push(client);
    structured(await client.callTool({ name: 'register_agent', arguments: { name: 'mcp-ctx-2025' } }));
    const writer = await t.register('mcp-writer');
    await set(writer.token, 'global/plan', { value: ['a', 'b'] });
    const uri = 'switchboard://context/global/plan';
    const read = await client.readResource({ uri });
    expect(JSON.parse((read.contents[0] as { text: string }).text)).toMatchObject({
      value: ['a', 'b'],
      version: 1,
    });

    const updated = new Promise<string>((resolve) =>
      client.setNotificationHandler('notifications/resources/updated', (n) => {
        if (n.params.uri === uri) resolve(n.params.uri);
      }),
    );
    await client.subscribeResource({ uri });
    await set(writer.token, 'global/plan', { value: ['c'] });
    expect(await updated).toBe(uri);
  });

  it('notifies a 2026 listener on change of a session-scoped key; refuses anonymous watchers', async () => {
    const me = await t.register('mcp-ctx-2026');
    const client = await connect2026(t.url, { token: me.token });
    clients.push(client);
    const uri = 'switchboard://context/session%3As-42/notes';
    const updated = new Promise<string>((resolve) =>
      client.setNotificationHandler('notifications/resources/updated', (n) => {
        if (n.params.uri === uri) resolve(n.params.uri);
      }),
    );
    const subscription = await client.listen({ resourceSubscriptions: [uri] });
    await set(me.token, 'session/notes', { scope_id: 's-42', value: 'hello' });
    expect(await updated).toBe(uri);
    await subscription.close();

    const anonymous = await connect2026(t.url);
    clients.push(anonymous);
    await expect(anonymous.listen({ resourceSubscriptions: [uri] })).rejects.toThrow(/unauthorized/);
    await expect(client.readResource({ uri: 'switchboard://context/galaxy:x/k' })).rejects.toThrow(
      /not_found/,
    );
  });
});
