/**
 * Result cache: `ctl_counter` of the conformance fixture (it counts its own calls) declared cacheable
 * with `cache: {tools, ttlSeconds}`. A repeat call with the same arguments is answered by the hub
 * (the count does not move); other arguments are a miss; after the TTL the server is asked again.
 * The hub runs on a clock the test moves forward, so expiry needs no waiting.
 */
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect2025, structured } from './mcp-clients.js';
import { ShiftedClock } from './helpers/clock.js';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { CONFORMANCE_FIXTURE, eventually } from './gateway-support.js';

const clock = new ShiftedClock();
let t: TestHub;
let client: Client;

beforeAll(async () => {
  t = await startTestHub(
    {
      gateway: {
        servers: [
          {
            name: 'conf',
            command: process.execPath,
            args: [CONFORMANCE_FIXTURE],
            cache: { tools: ['ctl_counter'], ttlSeconds: 30 },
          },
          { name: 'plain', command: process.execPath, args: [CONFORMANCE_FIXTURE] },
        ],
      },
    },
    { clock },
  );
  await eventually(
    async () => {
      const names = t.hub.services.gateway.tools().map((x) => x.name);
      return names.includes('conf__ctl_counter') && names.includes('plain__ctl_counter');
    },
    20_000,
    'fixture connected',
  );
  client = await connect2025(t.url, { token: t.adminToken });
});

afterAll(async () => {
  await client?.close().catch(() => {});
  await t?.close();
});

const count = async (args: Record<string, unknown>) =>
  structured<{ count: number }>(await client.callTool({ name: 'conf__ctl_counter', arguments: args })).count;

describe('gateway result cache', () => {
  it('hit for the same tool and arguments, miss for others, asked again after the TTL', async () => {
    const first = await count({ k: 1, j: 'x' });
    expect(await count({ k: 1, j: 'x' })).toBe(first); // hit
    expect(await count({ j: 'x', k: 1 })).toBe(first); // same arguments in another order: hit
    const other = await count({ k: 2 }); // miss: the server counted
    expect(other).toBe(first + 1);
    expect(await count({ k: 2 })).toBe(other);

    clock.advance(31); // past ttlSeconds
    const fresh = await count({ k: 1, j: 'x' });
    expect(fresh).toBe(other + 1);
    expect(await count({ k: 1, j: 'x' })).toBe(fresh);
  });

  it('does not cache the same tool of a server that did not declare it cacheable', async () => {
    const call = async () =>
      structured<{ count: number }>(
        await client.callTool({ name: 'plain__ctl_counter', arguments: { k: 1 } }),
      ).count;
    const a = await call();
    expect(await call()).toBe(a + 1);
  });
});
