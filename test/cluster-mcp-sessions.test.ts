/**
 * 2025-era MCP sessions in a cluster live on the node that created them; a request that reaches
 * another node (a load balancer without stickiness) is told where the session lives and what to do.
 * 2026-07-28 stateless requests work on any node.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, hasPostgres, type TestDatabase } from './helpers/postgres.js';
import { hubPerTest } from './helpers/hub.js';
import { post } from './mcp-clients.js';

const hubs = hubPerTest();
const dbs: TestDatabase[] = [];
afterAll(async () => {
  for (const db of dbs) await db.drop();
});

describe.runIf(hasPostgres())('MCP sessions on a cluster', () => {
  it('a 2025-era session is served by its node; another node names that node and says how to route', async () => {
    const db = await createTestDatabase();
    dbs.push(db);
    const a = await hubs.start({ db: db.url });
    const b = await hubs.start({ db: db.url });
    const { token } = await a.register('roamer');
    const auth = { authorization: `Bearer ${token}` };
    const init = await post(
      a.url,
      {
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-11-25',
          capabilities: {},
          clientInfo: { name: 'raw', version: '1' },
        },
      },
      auth,
    );
    expect(init.status).toBe(200);
    const sessionId = init.headers.get('mcp-session-id')!;
    const nodeA = (await a.api('GET', '/health')).body.node_id;
    const nodeB = (await b.api('GET', '/health')).body.node_id;
    expect(sessionId.startsWith(`${nodeA}.`)).toBe(true);
    const session = { ...auth, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
    expect((await post(a.url, { method: 'notifications/initialized' }, session)).status).toBe(202);

    const onA = await post(
      a.url,
      { id: 2, method: 'tools/call', params: { name: 'whoami', arguments: {} } },
      session,
    );
    expect(onA.status).toBe(200);
    expect(JSON.stringify(onA.body.result)).toContain('roamer');

    const onB = await post(
      b.url,
      { id: 3, method: 'tools/call', params: { name: 'whoami', arguments: {} } },
      session,
    );
    expect(onB.status).toBe(404);
    expect(onB.body.error.message).toBe(
      `Session not found on hub node ${nodeB}: it lives on hub node ${nodeA}. Route each request by its ` +
        'Mcp-Session-Id header to the node that created the session (sticky sessions), start a new session ' +
        'here with initialize, or use the 2026-07-28 protocol, which any node serves',
    );
  });
});
