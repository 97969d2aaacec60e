/**
 * Registration and listings stay small whatever agents say about themselves: every free-form field
 * has a limit named in its error (metadata by its JSON size, `agents.maxMetadataBytes`), listings
 * page and leave metadata and long descriptions out (get_agent has them), registration answers with
 * at most 100 peers, and no agent may take an id that reads as an address (`ALL`, `capability:…`,
 * `topic:…`).
 */
import { describe, expect, it } from 'vitest';
import { channels } from '../src/bus/bus.js';
import type { HubEvent } from '../src/bus/events.js';
import { hubPerTest, type TestHub } from './helpers/hub.js';
import { connect2025, connect2026, structured, textOf } from './mcp-clients.js';

let t: TestHub | undefined;
const closers: Array<() => Promise<unknown>> = [];
const hubs = hubPerTest(async () => {
  for (const close of closers.splice(0)) await close().catch(() => {});
});

const register = (body: Record<string, unknown>, token?: string) =>
  t!.api('POST', '/api/v1/agents/register', { body, ...(token ? { token } : {}) });

/** A JSON object of about `bytes` bytes. */
const metadataOf = (bytes: number) => ({ blob: 'm'.repeat(bytes - 12) });

describe('registration in a large project', () => {
  it('answers with the first 100 peers, never itself, while list_agents shows all', async () => {
    t = await hubs.start({ rateLimit: { enabled: false } });
    const first = [];
    for (let i = 0; i < 105; i++) first.push(await t.register(`agent ${i}`));
    const res = await t.api('POST', '/api/v1/agents/register', { body: { name: 'newcomer' } });
    expect(res.status).toBe(200);
    expect(res.body.peers).toHaveLength(100);
    expect(res.body.peers.map((p: any) => p.agent_id)).toEqual(first.slice(0, 100).map((a) => a.id));
    expect(res.body.peers.some((p: any) => p.agent_id === res.body.agent_id)).toBe(false);
    expect((await t.api('GET', '/api/v1/agents')).body.total).toBe(106);
  });
});

describe('agent field limits', () => {
  it('refuses metadata over agents.maxMetadataBytes, naming it, and stores nothing', async () => {
    t = await hubs.start({ rateLimit: { enabled: false } });
    const big = await register({ name: 'big', agent_id: 'big', metadata: metadataOf(17 * 1024) });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('payload_too_large');
    expect(big.body.error.message).toContain(
      'more than the 16384 an agent may have (agents.maxMetadataBytes)',
    );
    expect(big.body.error.details).toMatchObject({ limit: 16384, setting: 'agents.maxMetadataBytes' });
    expect((await t.api('GET', '/api/v1/agents/big')).status).toBe(404);
    expect((await t.api('GET', '/api/v1/agents')).body.total).toBe(0);

    // Just under the limit is fine; updating it past the limit changes nothing.
    const ok = await register({ name: 'ok', agent_id: 'ok', metadata: metadataOf(16 * 1024 - 100) });
    expect(ok.status).toBe(200);
    const update = await register(
      { name: 'renamed', agent_id: 'ok', metadata: metadataOf(900 * 1024) },
      ok.body.token,
    );
    expect(update.status).toBe(413);
    const after = (await t.api('GET', '/api/v1/agents/ok')).body.agent;
    expect(after.name).toBe('ok');
    expect(JSON.stringify(after.metadata).length).toBeLessThan(16 * 1024);
  });

  it('follows agents.maxMetadataBytes when it is configured', async () => {
    t = await hubs.start({ rateLimit: { enabled: false }, agents: { maxMetadataBytes: 1024 } });
    const res = await register({ name: 'x', metadata: metadataOf(2048) });
    expect(res.status).toBe(413);
    expect(res.body.error.message).toContain(
      'more than the 1024 an agent may have (agents.maxMetadataBytes)',
    );
  });

  it('refuses every free-form field over its limit, saying which and how long it may be', async () => {
    t = await hubs.start({ rateLimit: { enabled: false } });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: 'n'.repeat(129) }, 'name: at most 128 characters'],
      [{ name: 'x', description: 'd'.repeat(2001) }, 'description: at most 2000 characters'],
      [{ name: 'x', role: 'r'.repeat(65) }, 'role: at most 64 characters'],
      [{ name: 'x', project: 'p'.repeat(129) }, 'project: at most 128 characters'],
      [{ name: 'x', session_id: 's'.repeat(257) }, 'session_id: at most 256 characters'],
      [{ name: 'x', capabilities: Array.from({ length: 65 }, (_, i) => `c${i}`) }, 'at most 64 capabilities'],
      [{ name: 'x', capabilities: ['c'.repeat(65)] }, 'a capability is 1-64 letters'],
    ];
    for (const [body, message] of cases) {
      const res = await register(body);
      expect(res.status, message).toBe(400);
      expect(res.body.error.message).toContain(message);
    }
    expect((await t.api('GET', '/api/v1/agents')).body.total).toBe(0);
  });
});

describe('listing agents', () => {
  it('stays small with big metadata and long descriptions: pages, no metadata, get_agent has it all', async () => {
    t = await hubs.start({ rateLimit: { enabled: false } });
    const description = 'd'.repeat(2000);
    const ids: string[] = [];
    for (let i = 0; i < 150; i++) {
      const res = await register({ name: `agent ${i}`, description, metadata: metadataOf(16 * 1024 - 100) });
      expect(res.status).toBe(200);
      // Peers carry ids, names and status only.
      for (const p of res.body.peers) expect(Object.keys(p).sort()).toEqual(['agent_id', 'name', 'status']);
      ids.push(res.body.agent_id);
    }
    const first = await t.api('GET', '/api/v1/agents');
    expect(first.status).toBe(200);
    // 150 agents hold ~2.4 MB of metadata and 300 KB of descriptions; the page holds neither.
    expect(JSON.stringify(first.body).length).toBeLessThan(100 * 1024);
    expect(first.body.total).toBe(150);
    expect(first.body.agents).toHaveLength(100);
    for (const a of first.body.agents) {
      expect(a).not.toHaveProperty('metadata');
      expect(a.description.length).toBeLessThanOrEqual(200);
    }
    const second = await t.api('GET', '/api/v1/agents?offset=100&limit=100');
    expect(second.body.agents.map((a: any) => a.agent_id)).toEqual(ids.slice(100));
    expect([...first.body.agents, ...second.body.agents].map((a: any) => a.agent_id)).toEqual(ids);

    const small = await t.api('GET', '/api/v1/agents?limit=7&offset=3');
    expect(small.body.agents.map((a: any) => a.agent_id)).toEqual(ids.slice(3, 10));
    expect(small.body.total).toBe(150);
    const tooMany = await t.api('GET', '/api/v1/agents?limit=501');
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.message).toContain('at most 500 agents per page');

    const one = (await t.api('GET', `/api/v1/agents/${ids[0]}`)).body.agent;
    expect(one.description).toBe(description);
    expect(one.metadata.blob.length).toBeGreaterThan(16_000);
  });

  it('pages after the status filter, so total counts the matches', async () => {
    t = await hubs.start({ rateLimit: { enabled: false } });
    const agents = [];
    for (let i = 0; i < 6; i++) agents.push(await t.register(`a${i}`));
    for (const a of agents.slice(0, 4)) {
      const res = await t.api('POST', `/api/v1/agents/${a.id}/heartbeat`, {
        token: a.token,
        body: { status: 'busy' },
      });
      expect(res.status).toBe(200);
    }
    const busy = await t.api('GET', '/api/v1/agents?status=busy&limit=3');
    expect(busy.body.total).toBe(4);
    expect(busy.body.agents.map((a: any) => a.agent_id)).toEqual(agents.slice(0, 3).map((a) => a.id));
  });

  it('announces registrations to every stream without the metadata', async () => {
    t = await hubs.start({ rateLimit: { enabled: false } });
    const seen: HubEvent[] = [];
    closers.push(async () => unsubscribe());
    const unsubscribe = t.hub.bus.subscribe(channels.all, (e) => seen.push(e));
    await register({
      name: 'quiet',
      description: 'd'.repeat(2000),
      metadata: { secret_plan: 'x'.repeat(1000) },
    });
    const announced = seen.find((e) => e.type === 'agent.registered');
    expect(announced).toBeDefined();
    expect(JSON.stringify(announced)).not.toContain('secret_plan');
    expect(JSON.stringify(announced).length).toBeLessThan(1024);
  });
});

describe('agent ids that read as addresses', () => {
  const reserved = ['ALL', 'all', 'All', 'aLL'];

  it('are refused over REST, saying why, and nothing is stored', async () => {
    t = await hubs.start({ rateLimit: { enabled: false } });
    for (const agent_id of reserved) {
      const res = await register({ name: 'sneaky', agent_id });
      expect(res.status, agent_id).toBe(400);
      expect(res.body.error.code).toBe('invalid_input');
      expect(res.body.error.message).toContain(`agent_id: "${agent_id}" reads as an address`);
      expect(res.body.error.message).toContain('to "ALL" sends to every agent of the project');
    }
    for (const agent_id of ['capability:review', 'topic:news', 'Capability:x', 'TOPIC:y']) {
      const res = await register({ name: 'sneaky', agent_id });
      expect(res.status, agent_id).toBe(400);
      expect(res.body.error.message).toMatch(/reads as an address: to "(capability|topic):<name>" sends to/);
    }
    // Names that look like addresses only give readable ids.
    for (const name of ['ALL', 'capability:review', 'topic:news']) {
      const res = await register({ name });
      expect(res.status, name).toBe(200);
      expect(res.body.agent_id).toMatch(/^(all|capability-review|topic-news)-[a-z0-9]{8}$/);
    }
    expect((await t.api('GET', '/api/v1/agents')).body.total).toBe(3);
    // ALL still means everyone.
    const sender = await t.register('sender');
    const sent = await t.api('POST', '/api/v1/messages', {
      token: sender.token,
      body: { from: sender.id, to: 'ALL', body: 'hello' },
    });
    expect(sent.status).toBe(200);
    expect(sent.body.recipients).toHaveLength(3);
  });

  it('are refused by register_agent over MCP, in both protocol eras', async () => {
    t = await hubs.start({ rateLimit: { enabled: false } });
    const session = await connect2025(t.url);
    closers.push(() => session.close());
    const stateless = await connect2026(t.url);
    closers.push(() => stateless.close());
    for (const client of [session, stateless]) {
      for (const agent_id of ['ALL', 'all', 'topic:x']) {
        const result = await client.callTool({
          name: 'register_agent',
          arguments: { name: 'sneaky', agent_id },
        });
        expect(result.isError, agent_id).toBe(true);
        expect(textOf(result)).toContain(`"${agent_id}" reads as an address`);
      }
    }
    expect((await t.api('GET', '/api/v1/agents')).body.total).toBe(0);
    // A proper id still registers (and binds the session).
    const ok = structured(
      await session.callTool({ name: 'register_agent', arguments: { name: 'fine', agent_id: 'all-hands' } }),
    );
    expect(ok.agent_id).toBe('all-hands');
  });
});
