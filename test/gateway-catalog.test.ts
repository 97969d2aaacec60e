/**
 * Gateway prompts and resources: the conformance fixture server behind a real hub (stdio); SDK clients
 * of both protocol eras see its prompts as `conf__<prompt>` and its resources as `conf+<uri>`, get and
 * read them through /mcp, receive resources/updated for a subscribed downstream resource and
 * list_changed when the downstream lists change.
 */
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect2025, connect2026 } from './mcp-clients.js';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { CONFORMANCE_FIXTURE, eventually } from './gateway-support.js';

let t: TestHub;
const clients: Client[] = [];

beforeAll(async () => {
  t = await startTestHub({
    gateway: {
      servers: [{ name: 'conf', command: process.execPath, args: [CONFORMANCE_FIXTURE] }],
    },
  });
  await eventually(
    async () => t.hub.services.gateway.prompts().length > 0 && t.hub.services.gateway.resources().length > 0,
    20_000,
    'conformance fixture connected',
  );
});

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await t?.close();
});

const textsOf = (contents: Array<Record<string, unknown>>) => contents.map((c) => c.text ?? c.blob);

describe('gateway prompts and resources', () => {
  for (const [era, connect] of [
    ['2025', connect2025],
    ['2026', connect2026],
  ] as const) {
    it(`lists, gets and reads them namespaced (${era} client)`, async () => {
      const client = await connect(t.url, { token: t.adminToken });
      clients.push(client);

      const { prompts } = await client.listPrompts();
      expect(prompts.map((p) => p.name)).toEqual(
        expect.arrayContaining(['conf__test_simple_prompt', 'conf__test_prompt_with_arguments']),
      );
      const withArgs = prompts.find((p) => p.name === 'conf__test_prompt_with_arguments');
      expect(withArgs?.arguments?.map((a) => a.name)).toEqual(['arg1', 'arg2']);
      const got = await client.getPrompt({
        name: 'conf__test_prompt_with_arguments',
        arguments: { arg1: 'alpha', arg2: 'beta' },
      });
      expect(JSON.stringify(got.messages)).toContain("arg1='alpha', arg2='beta'");

      const { resources } = await client.listResources();
      const uris = resources.map((r) => r.uri);
      expect(uris).toEqual(
        expect.arrayContaining([
          'switchboard://agents',
          'conf+test://static-text',
          'conf+test://static-binary',
        ]),
      );
      const text = await client.readResource({ uri: 'conf+test://static-text' });
      expect(text.contents[0]).toMatchObject({
        uri: 'conf+test://static-text',
        mimeType: 'text/plain',
        text: 'This is the content of the static text resource.',
      });
      const binary = await client.readResource({ uri: 'conf+test://static-binary' });
      expect(binary.contents[0]).toMatchObject({ mimeType: 'image/png', blob: expect.any(String) });

      const { resourceTemplates } = await client.listResourceTemplates();
      expect(resourceTemplates.map((x) => x.uriTemplate)).toContain('conf+test://template/{id}/data');
      const fromTemplate = await client.readResource({ uri: 'conf+test://template/77/data' });
      expect(fromTemplate.contents[0]?.uri).toBe('conf+test://template/77/data');
      expect(textsOf(fromTemplate.contents as never)[0]).toContain('Data for ID: 77');

      // The hub's own resources still answer.
      const agents = await client.readResource({ uri: 'switchboard://agents' });
      expect(agents.contents[0]?.uri).toBe('switchboard://agents');
      await expect(client.readResource({ uri: 'conf+test://no-such-thing' })).rejects.toThrow();
    });
  }

  it('refuses downstream prompts and resources to an anonymous caller', async () => {
    const client = await connect2025(t.url);
    clients.push(client);
    await expect(client.readResource({ uri: 'conf+test://static-text' })).rejects.toThrow(/unauthorized/);
    await expect(client.getPrompt({ name: 'conf__test_simple_prompt' })).rejects.toThrow(/unauthorized/);
  });

  it('relays resources/updated to a 2025 session subscribed to a downstream resource', async () => {
    const client = await connect2025(t.url, { token: t.adminToken });
    clients.push(client);
    const updates: string[] = [];
    client.setNotificationHandler('notifications/resources/updated', (n) => {
      updates.push(n.params.uri);
    });
    await client.subscribeResource({ uri: 'conf+test://watched-resource' });
    await eventually(
      async () => {
        await client.callTool({
          name: 'conf__ctl_touch_resource',
          arguments: { uri: 'test://watched-resource' },
        });
        return updates.length > 0;
      },
      10_000,
      'resources/updated',
    );
    expect(updates).toContain('conf+test://watched-resource');
  });

  it('relays resources/updated to a 2026 listen stream', async () => {
    const client = await connect2026(t.url, { token: t.adminToken });
    clients.push(client);
    const updates: string[] = [];
    client.setNotificationHandler('notifications/resources/updated', (n) => {
      updates.push(n.params.uri);
    });
    const sub = await client.listen({ resourceSubscriptions: ['conf+test://watched-resource'] });
    try {
      await eventually(
        async () => {
          await client.callTool({
            name: 'conf__ctl_touch_resource',
            arguments: { uri: 'test://watched-resource' },
          });
          return updates.length > 0;
        },
        10_000,
        'resources/updated on the listen stream',
      );
      expect(updates).toContain('conf+test://watched-resource');
    } finally {
      await sub.close();
    }
  });

  it('relays prompts and resources list_changed and shows the new entries', async () => {
    const client = await connect2025(t.url, { token: t.adminToken });
    clients.push(client);
    const changed: string[] = [];
    client.setNotificationHandler('notifications/prompts/list_changed', () => {
      changed.push('prompts');
    });
    client.setNotificationHandler('notifications/resources/list_changed', () => {
      changed.push('resources');
    });
    await client.callTool({ name: 'conf__ctl_add_prompt', arguments: { name: 'late_prompt' } });
    await client.callTool({ name: 'conf__ctl_add_resource', arguments: { name: 'late' } });
    await eventually(
      async () => changed.includes('prompts') && changed.includes('resources'),
      10_000,
      'list_changed',
    );
    await eventually(
      async () => (await client.listPrompts()).prompts.some((p) => p.name === 'conf__late_prompt'),
      10_000,
      'new prompt listed',
    );
    await eventually(
      async () => (await client.listResources()).resources.some((r) => r.uri === 'conf+test://added/late'),
      10_000,
      'new resource listed',
    );
    const read = await client.readResource({ uri: 'conf+test://added/late' });
    expect(textsOf(read.contents as never)).toEqual(['added late']);
  });
});
