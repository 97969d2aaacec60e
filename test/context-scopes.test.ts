/**
 * Who may watch and use which context scope: another project's keys are neither readable nor
 * watchable on any path (REST, WebSocket call frames, MCP resources/subscribe and subscriptions/listen);
 * a conversation's keys belong to the agents who took part in that thread (and the admin).
 */
import type { Client } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { hubForFile } from './helpers/hub.js';
import { connect2025, connect2026 } from './mcp-clients.js';

const clients: Client[] = [];
const t = hubForFile(
  {},
  {
    beforeClose: async () => {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
    },
  },
);

/** One WebSocket call frame and its answer (result or error frame). */
async function wsCall(agent: { id: string; token: string }, op: string, input: unknown): Promise<any> {
  const ws = new WebSocket(`${t.url.replace('http', 'ws')}/ws/${agent.id}?token=${agent.token}`);
  try {
    return await new Promise((resolve, reject) => {
      ws.on('error', reject);
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data));
        if (frame.type === 'ready') ws.send(JSON.stringify({ type: 'call', id: 'c1', op, input }));
        if ((frame.type === 'result' || frame.type === 'error') && frame.id === 'c1') resolve(frame);
      });
    });
  } finally {
    ws.close();
  }
}

describe('project scope: another project is neither readable nor watchable', () => {
  it('refuses watching and subscribing over REST, WebSocket and MCP (both eras); own project works', async () => {
    const owner = await t.register('secret-owner', { project: 'alpha' });
    const spy = await t.register('spy', { project: 'beta' });
    await t.api('PUT', '/api/v1/context/project/plan', { token: owner.token, body: { value: 'x' } });

    const rest = [
      t.api('GET', '/api/v1/context/project/plan/watch?scope_id=alpha&timeout_seconds=0', {
        token: spy.token,
      }),
      t.api('POST', '/api/v1/context/subscribe', {
        token: spy.token,
        body: { scope: 'project', scope_id: 'alpha', key: 'plan' },
      }),
      t.api('POST', '/api/v1/context/subscribe', {
        token: spy.token,
        body: { scope: 'project', scope_id: 'alpha' },
      }),
    ];
    for (const res of await Promise.all(rest)) expect(res.status).toBe(403);

    const frame = await wsCall(spy, 'subscribe_context', { scope: 'project', scope_id: 'alpha' });
    expect(frame).toMatchObject({ type: 'error', error: { code: 'forbidden' } });

    const uri = 'switchboard://context/project%3Aalpha/plan';
    const s2025 = await connect2025(t.url, { token: spy.token });
    clients.push(s2025);
    await expect(s2025.subscribeResource({ uri })).rejects.toThrow(/forbidden/);
    await expect(s2025.readResource({ uri })).rejects.toThrow(/forbidden/);
    const s2026 = await connect2026(t.url, { token: spy.token });
    clients.push(s2026);
    await expect(s2026.listen({ resourceSubscriptions: [uri] })).rejects.toThrow(/forbidden/);

    // The owner's own project key is watchable, and a change reaches it.
    const mine = await connect2025(t.url, { token: owner.token });
    clients.push(mine);
    const updated = new Promise<string>((resolve) =>
      mine.setNotificationHandler('notifications/resources/updated', (n) => resolve(n.params.uri)),
    );
    await mine.subscribeResource({ uri });
    await t.api('PUT', '/api/v1/context/project/plan', { token: owner.token, body: { value: 'y' } });
    expect(await updated).toBe(uri);
  });
});

describe('conversation scope: the participants of the thread', () => {
  it('lets sender and recipient use the thread’s keys, refuses everyone else on every path, admin may', async () => {
    const a = await t.register('conv-a');
    const b = await t.register('conv-b');
    const outsider = await t.register('conv-outsider');
    const sent = await t.api('POST', '/api/v1/messages', {
      token: a.token,
      body: { from: a.id, to: b.id, message: 'shall we share notes?' },
    });
    const thread = sent.body.thread_id as string;
    const path = `/api/v1/context/conversation/notes`;

    const set = await t.api('PUT', path, {
      token: a.token,
      body: { scope_id: thread, value: { decided: 'yes' } },
    });
    expect(set.status).toBe(200);
    const read = await t.api('GET', `${path}?scope_id=${thread}`, { token: b.token });
    expect(read.body).toMatchObject({ scope: 'conversation', scope_id: thread, value: { decided: 'yes' } });

    const refused = await Promise.all([
      t.api('GET', `${path}?scope_id=${thread}`, { token: outsider.token }),
      t.api('PUT', path, { token: outsider.token, body: { scope_id: thread, value: 'mine now' } }),
      t.api('GET', `/api/v1/context/conversation?scope_id=${thread}`, { token: outsider.token }),
      t.api('GET', `${path}/watch?scope_id=${thread}&timeout_seconds=0`, { token: outsider.token }),
      t.api('POST', '/api/v1/context/subscribe', {
        token: outsider.token,
        body: { scope: 'conversation', scope_id: thread },
      }),
    ]);
    for (const res of refused) {
      expect(res.status).toBe(403);
      expect(res.body.error.message).toMatch(/sent or received a message in that thread/);
    }
    const frame = await wsCall(outsider, 'get_context', {
      scope: 'conversation',
      scope_id: thread,
      key: 'notes',
    });
    expect(frame).toMatchObject({ type: 'error', error: { code: 'forbidden' } });
    const uri = `switchboard://context/conversation%3A${thread}/notes`;
    const mcp = await connect2026(t.url, { token: outsider.token });
    clients.push(mcp);
    await expect(mcp.listen({ resourceSubscriptions: [uri] })).rejects.toThrow(/forbidden/);

    // Once the outsider is part of the thread (it got a reply-all), it may.
    await t.api('POST', '/api/v1/messages', {
      token: b.token,
      body: { from: b.id, to: [a.id, outsider.id], thread_id: thread, message: 'joining conv-outsider' },
    });
    const joined = await t.api('GET', `${path}?scope_id=${thread}`, { token: outsider.token });
    expect(joined.status).toBe(200);

    const admin = await t.api('GET', `${path}?scope_id=${thread}`, { token: t.adminToken });
    expect(admin.body).toMatchObject({ value: { decided: 'yes' } });
  });
});
