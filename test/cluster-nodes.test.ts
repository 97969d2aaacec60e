/**
 * Hub nodes: two hubs on one PostgreSQL database see each other in `list_nodes`, `/health` and
 * `hub_status`; a node that closes is listed as left at once (and live again when it starts on its
 * data directory), one that stops beating drops out.
 * A SQLite hub is exactly one node, this one.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, hasPostgres, testStoreIsPostgres } from './helpers/postgres.js';
import { PostgresStore } from '../src/store/postgres/index.js';
import { runCli } from './helpers/cli.js';
import { hubPerTest, startTestHub, type TestHub } from './helpers/hub.js';

const hubs = hubPerTest();

const admin = (t: TestHub) => ({ token: t.adminToken });
const ids = (nodes: Array<{ node_id: string }>) => nodes.map((n) => n.node_id).sort();

describe.runIf(!testStoreIsPostgres())('a SQLite hub', () => {
  it('is one node: this one, in /health, hub_status and list_nodes', async () => {
    const t = await hubs.start();
    const health = await t.api('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', store: 'sqlite' });
    expect(health.body.node_id).toMatch(/^node_[0-9A-Z]{26}$/);
    expect(health.body.nodes).toEqual([
      {
        node_id: health.body.node_id,
        url: t.url,
        state: 'live',
        started_at: health.body.started_at,
        heartbeat_at: expect.any(String),
        left_at: null,
        self: true,
      },
    ]);
    const status = await t.api('GET', '/api/v1/status', admin(t));
    expect(status.body).toMatchObject({ store: 'sqlite', node_id: health.body.node_id });
    expect(ids(status.body.nodes)).toEqual([health.body.node_id]);
    const list = await t.api('GET', '/api/v1/nodes', admin(t));
    expect(list.status).toBe(200);
    expect(list.body.nodes).toEqual([
      expect.objectContaining({
        node_id: health.body.node_id,
        store: 'sqlite',
        pid: process.pid,
        version: health.body.version,
        self: true,
      }),
    ]);
  });

  it('lists nodes for the admin only', async () => {
    const t = await hubs.start();
    const agent = await t.register('nosy');
    expect((await t.api('GET', '/api/v1/nodes', { token: agent.token })).status).toBe(403);
    expect((await t.api('GET', '/api/v1/nodes')).status).toBe(401);
  });
});

describe.runIf(hasPostgres())('two hub nodes on one PostgreSQL database', () => {
  const drops: Array<() => Promise<void>> = [];
  // After the file's hubs are closed (each test's hubs close in hubPerTest's afterEach).
  afterAll(async () => {
    for (const drop of drops.splice(0)) await drop();
  });

  async function twoNodes(config: Record<string, unknown> = {}): Promise<[TestHub, TestHub, string]> {
    const db = await createTestDatabase();
    drops.push(() => db.drop());
    const one = await hubs.start({ db: db.url, ...config });
    const two = await hubs.start({ db: db.url, ...config });
    return [one, two, db.url];
  }

  it('switchboard status names the store, the node that answered and the live nodes', async () => {
    const [one, two] = await twoNodes();
    const run = await runCli(['status'], { SWITCHBOARD_URL: one.url, HOME: one.home });
    expect(run.code).toBe(0);
    const self = (await one.api('GET', '/health')).body.node_id;
    const other = (await two.api('GET', '/health')).body.node_id;
    const line = run.stdout.split('\n').find((l) => l.startsWith('store:'));
    expect(line).toContain(`store: postgres, node ${self}; live nodes: `);
    expect(line).toContain(`${self} (${one.url})`);
    expect(line).toContain(`${other} (${two.url})`);
  });

  it('see each other in list_nodes, /health and hub_status', async () => {
    const [one, two, url] = await twoNodes({ auth: { anonymousDirectory: false } });
    const h1 = (await one.api('GET', '/health')).body;
    const h2 = (await two.api('GET', '/health')).body;
    expect(h1).toMatchObject({ status: 'ok', store: 'postgres' });
    expect(h1.node_id).not.toBe(h2.node_id);
    const both = [h1.node_id, h2.node_id].sort();
    expect(ids(h1.nodes)).toEqual(both);
    expect(ids(h2.nodes)).toEqual(both);
    expect(h1.nodes.find((n: { self: boolean }) => n.self).node_id).toBe(h1.node_id);
    expect(h2.nodes.find((n: { node_id: string }) => n.node_id === h1.node_id)).toMatchObject({
      url: one.url,
      self: false,
    });
    // Nothing about the database in the public health answer.
    expect(JSON.stringify(h1)).not.toContain(new URL(url).pathname.slice(1));

    // hub_status (as a caller without a token: the directory is closed, the nodes are not).
    const s2 = (await two.api('GET', '/api/v1/status')).body;
    expect(s2).toMatchObject({ store: 'postgres', node_id: h2.node_id, agents: {} });
    expect(ids(s2.nodes)).toEqual(both);

    const l1 = await one.api('GET', '/api/v1/nodes', admin(one));
    expect(l1.status).toBe(200);
    expect(l1.body).toMatchObject({ store: 'postgres', node_id: h1.node_id });
    expect(l1.body.nodes).toHaveLength(2);
    for (const n of l1.body.nodes) {
      expect(n).toMatchObject({ store: 'postgres', pid: process.pid, version: h1.version });
      expect(n.url).toBe(n.node_id === h1.node_id ? one.url : two.url);
    }
  });

  it('list a node that closes as left at once, drop one whose heartbeat stopped', async () => {
    const [one, two, url] = await twoNodes();
    const three = await startTestHub({ db: url });
    const id = async (t: TestHub) => (await t.api('GET', '/health')).body.node_id as string;
    const [id1, id2, id3] = [await id(one), await id(two), await id(three)];
    const listed = async () => (await one.api('GET', '/api/v1/nodes', admin(one))).body.nodes;
    const states = async () =>
      Object.fromEntries((await listed()).map((n: any) => [n.node_id, n.state])) as Record<string, string>;
    expect(await states()).toEqual({ [id1]: 'live', [id2]: 'live', [id3]: 'live' });

    // Closing on purpose: listed as left at once (not live), everywhere nodes are shown. (The hub
    // only: its data directory stays for its restart below, which removes it when the test ends.)
    await three.hub.close();
    expect(await states()).toEqual({ [id1]: 'live', [id2]: 'live', [id3]: 'left' });
    const left = (await listed()).find((n: any) => n.node_id === id3);
    expect(left).toMatchObject({ url: three.url, self: false, left_at: expect.any(String) });
    expect(Date.parse(left.left_at)).toBeGreaterThanOrEqual(Date.parse(left.heartbeat_at));
    const health = (await two.api('GET', '/health')).body.nodes;
    expect(health.map((n: any) => [n.node_id, n.state]).sort()).toEqual(
      [
        [id1, 'live'],
        [id2, 'live'],
        [id3, 'left'],
      ].sort(),
    );
    // Live ones first, then the left one.
    expect(health.at(-1).node_id).toBe(id3);
    expect((await two.api('GET', '/api/v1/status')).body.nodes.at(-1)).toMatchObject({
      node_id: id3,
      state: 'left',
    });
    const run = await runCli(['status'], { SWITCHBOARD_URL: one.url, HOME: one.home });
    const line = run.stdout.split('\n').find((l) => l.startsWith('store:'));
    expect(line).toContain(`; left: ${id3} (at ${left.left_at})`);
    expect(line!.split('; left:')[0]).not.toContain(id3);

    // Started again on its data directory: the same node, live again, no longer left.
    const back = await hubs.start({ db: url, home: three.home });
    expect(await id(back)).toBe(id3);
    expect(await states()).toEqual({ [id1]: 'live', [id2]: 'live', [id3]: 'live' });
    expect((await listed()).find((n: any) => n.node_id === id3)).toMatchObject({
      url: back.url,
      left_at: null,
    });

    // Nodes that died say nothing: one last beat 14 s ago is live still, one 16 s ago is not listed.
    const db = (one.hub.store as PostgresStore).db;
    const row = `INSERT INTO nodes (id, url, host, pid, version, store, started_at, heartbeat_at)
      VALUES ($1, NULL, 'elsewhere', 1, '0', 'postgres', now() - interval '1 hour', now() - make_interval(secs => $2))`;
    await db.query(row, ['node_quiet', 14]);
    await db.query(row, ['node_dead', 16]);
    expect(await states()).toEqual({ [id1]: 'live', [id2]: 'live', [id3]: 'live', node_quiet: 'live' });
    expect(ids((await two.api('GET', '/health')).body.nodes)).toEqual([id1, id2, id3, 'node_quiet'].sort());
  });
});
