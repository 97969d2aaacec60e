/** MCP resources: the agent list and inboxes, reads, and resources/updated when they change (both eras). */
import type { Client } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { channels } from '../src/bus/bus.js';
import { hubForFile } from './helpers/hub.js';
import { connect2025, connect2026, structured } from './mcp-clients.js';

const clients: Client[] = [];
const track = <C extends Client>(c: C): C => {
  clients.push(c);
  return c;
};

const t = hubForFile(
  {},
  {
    beforeClose: async () => {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
    },
  },
);

/** Resolves with the first resources/updated notification for `uri`. */
function nextUpdate(client: Client, uri: string): Promise<string> {
  return new Promise((resolve) => {
    client.setNotificationHandler('notifications/resources/updated', (n) => {
      if (n.params.uri === uri) resolve(n.params.uri);
    });
  });
}

/** The JSON text of a resource read. */
function jsonOf(result: { contents: Array<{ text?: string } | { blob: string }> }): any {
  const first = result.contents[0];
  if (!first || !('text' in first) || first.text === undefined) throw new Error('expected a text resource');
  return JSON.parse(first.text);
}
const readJson = async (client: Client, uri: string) => jsonOf(await client.readResource({ uri }));

const send = (token: string, to: string, body: string) =>
  t.api('POST', '/api/v1/messages', { token, body: { to, body } });

describe('reading resources', () => {
  it('lists the agent list and the caller’s own inbox, and reads them as JSON', async () => {
    const me = await t.register('reader');
    const peer = await t.register('peer');
    await send(peer.token, me.id, 'unread one');
    const client = track(await connect2026(t.url, { token: me.token }));
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(
      expect.arrayContaining(['switchboard://agents', `switchboard://inbox/${me.id}`]),
    );
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((r) => r.uriTemplate)).toContain('switchboard://inbox/{agent_id}');

    const agents = await readJson(client, 'switchboard://agents');
    expect(agents.agents.map((a: { agent_id: string }) => a.agent_id)).toEqual(
      expect.arrayContaining([me.id, peer.id]),
    );

    const read = () => readJson(client, `switchboard://inbox/${me.id}`);
    expect((await read()).messages.map((m: { body: string }) => m.body)).toEqual(['unread one']);
    // reading the resource does not mark anything read
    expect((await read()).messages).toHaveLength(1);
  });

  it('an inbox is readable only by its agent or the admin', async () => {
    const owner = await t.register('owner');
    const other = await t.register('other');
    const intruder = track(await connect2026(t.url, { token: other.token }));
    await expect(intruder.readResource({ uri: `switchboard://inbox/${owner.id}` })).rejects.toThrow(
      /forbidden/,
    );
    const anonymous = track(await connect2026(t.url));
    await expect(anonymous.readResource({ uri: `switchboard://inbox/${owner.id}` })).rejects.toThrow(
      /unauthorized/,
    );
    const admin = track(await connect2026(t.url, { token: t.adminToken }));
    const contents = await admin.readResource({ uri: `switchboard://inbox/${owner.id}` });
    expect(jsonOf(contents).messages).toEqual([]);
  });
});

describe('resources/updated in a 2025 session (resources/subscribe)', () => {
  it('reaches the subscriber when a message arrives in its inbox', async () => {
    const client = track(await connect2025(t.url));
    const me = structured(
      await client.callTool({ name: 'register_agent', arguments: { name: 'subscriber-2025' } }),
    );
    const uri = `switchboard://inbox/${me.agent_id}`;
    const updated = nextUpdate(client, uri);
    await client.subscribeResource({ uri });
    const sender = await t.register('sender-a');
    await send(sender.token, me.agent_id, 'ding');
    expect(await updated).toBe(uri);
  });

  it('reaches the subscriber of the agent list when an agent registers', async () => {
    const client = track(await connect2025(t.url));
    const updated = nextUpdate(client, 'switchboard://agents');
    await client.subscribeResource({ uri: 'switchboard://agents' });
    await t.register('newcomer');
    expect(await updated).toBe('switchboard://agents');
  });

  it('refuses a subscription to another agent’s inbox or an unknown resource', async () => {
    const owner = await t.register('private-owner');
    const client = track(await connect2025(t.url));
    structured(await client.callTool({ name: 'register_agent', arguments: { name: 'snoop' } }));
    await expect(client.subscribeResource({ uri: `switchboard://inbox/${owner.id}` })).rejects.toThrow(
      /forbidden/,
    );
    await expect(client.subscribeResource({ uri: 'switchboard://nothing' })).rejects.toThrow(/not_found/);
  });
});

describe('resources/updated on 2026-07-28 (subscriptions/listen)', () => {
  it('reaches the listener when a message arrives in its inbox', async () => {
    const me = await t.register('listener-2026');
    const client = track(await connect2026(t.url, { token: me.token }));
    const uri = `switchboard://inbox/${me.id}`;
    const updated = nextUpdate(client, uri);
    const subscription = await client.listen({ resourceSubscriptions: [uri] });
    expect(subscription.honoredFilter.resourceSubscriptions).toEqual([uri]);
    const sender = await t.register('sender-b');
    await send(sender.token, me.id, 'ding');
    expect(await updated).toBe(uri);
    await subscription.close();
    // the hub stops watching that inbox once no stream listens
    while (t.hub.bus.listenerCount(channels.agent(me.id)) > 0) await new Promise((r) => setTimeout(r, 10));
  });

  it('refuses to listen to another agent’s inbox', async () => {
    const owner = await t.register('listen-owner');
    const other = await t.register('listen-other');
    const client = track(await connect2026(t.url, { token: other.token }));
    await expect(
      client.listen({ resourceSubscriptions: [`switchboard://inbox/${owner.id}`] }),
    ).rejects.toThrow(/forbidden/);
  });
});
