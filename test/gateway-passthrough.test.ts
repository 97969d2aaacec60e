/**
 * Passthrough mode (`gateway.passthrough: "conf"`): the conformance fixture's tools, prompts and
 * resources appear under their own names and URIs; another server stays prefixed; a downstream tool
 * named like a hub tool does not replace the hub's.
 */
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect2025, connect2026, structured, textOf } from './mcp-clients.js';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { CONFORMANCE_FIXTURE, eventually, FIXTURE } from './gateway-support.js';

let t: TestHub;
const clients: Client[] = [];

beforeAll(async () => {
  t = await startTestHub({
    gateway: {
      passthrough: 'conf',
      servers: [
        { name: 'conf', command: process.execPath, args: [CONFORMANCE_FIXTURE] },
        { name: 'fixture', command: process.execPath, args: [FIXTURE, 'passthrough-test'] },
      ],
    },
  });
  await eventually(
    async () => {
      const names = t.hub.services.gateway.tools().map((x) => x.name);
      return names.includes('test_simple_text') && names.includes('fixture__fixture_echo');
    },
    20_000,
    'both servers connected',
  );
});

afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await t?.close();
});

describe('gateway passthrough', () => {
  for (const [era, connect] of [
    ['2025', connect2025],
    ['2026', connect2026],
  ] as const) {
    it(`exposes the passthrough server unprefixed, others prefixed (${era} client)`, async () => {
      const client = await connect(t.url, { token: t.adminToken });
      clients.push(client);
      const { tools } = await client.listTools(undefined, { cacheMode: 'bypass' } as never);
      const names = tools.map((x) => x.name);
      expect(names).toEqual(
        expect.arrayContaining([
          'test_simple_text',
          'json_schema_2020_12_tool',
          'fixture__fixture_echo',
          'send_message',
        ]),
      );
      expect(names).not.toContain('conf__test_simple_text');
      const schema = tools.find((x) => x.name === 'json_schema_2020_12_tool')?.inputSchema as Record<
        string,
        unknown
      >;
      expect(schema.$defs).toBeDefined();
      expect(schema.additionalProperties).toBe(false);

      const res = await client.callTool({ name: 'test_simple_text', arguments: {} });
      expect(textOf(res)).toBe('This is a simple text response for testing.');
      const echo = await client.callTool({
        name: 'fixture__fixture_echo',
        arguments: { text: 'still prefixed' },
      });
      expect(textOf(echo)).toBe('still prefixed');

      const prompt = await client.getPrompt({ name: 'test_simple_prompt' });
      expect(JSON.stringify(prompt.messages)).toContain('This is a simple prompt for testing.');
      const read = await client.readResource({ uri: 'test://static-text' });
      expect(read.contents[0]).toMatchObject({ uri: 'test://static-text', mimeType: 'text/plain' });
      const templates = (await client.listResourceTemplates()).resourceTemplates.map((x) => x.uriTemplate);
      expect(templates).toContain('test://template/{id}/data');
      const fromTemplate = await client.readResource({ uri: 'test://template/5/data' });
      expect(fromTemplate.contents[0]?.uri).toBe('test://template/5/data');
      const hubOwn = await client.readResource({ uri: 'switchboard://agents' });
      expect(hubOwn.contents[0]?.uri).toBe('switchboard://agents');
    });
  }

  it('a downstream tool named like a hub tool: the hub tool stays', async () => {
    const client = await connect2025(t.url, { token: t.adminToken });
    clients.push(client);
    await client.callTool({ name: 'ctl_add_tool', arguments: { name: 'list_agents' } });
    await client.callTool({ name: 'ctl_add_tool', arguments: { name: 'late_tool' } });
    await eventually(
      async () =>
        (await client.listTools(undefined, { cacheMode: 'bypass' } as never)).tools.some(
          (x) => x.name === 'late_tool',
        ),
      10_000,
      'late_tool published',
    );
    const { tools } = await client.listTools(undefined, { cacheMode: 'bypass' } as never);
    expect(tools.filter((x) => x.name === 'list_agents')).toHaveLength(1);
    const agents = await client.callTool({ name: 'list_agents', arguments: {} });
    expect(textOf(agents)).not.toContain('downstream list_agents');
    expect(structured(agents)).toHaveProperty('agents');
    expect(textOf(await client.callTool({ name: 'late_tool', arguments: {} }))).toBe('downstream late_tool');
  });
});
