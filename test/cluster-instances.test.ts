/**
 * Instances on a cluster (two hub nodes in one process, one PostgreSQL database, real scripted
 * agents): an instance runs on the node that spawned it; turns, interrupts and stops asked of the
 * other node are forwarded to it and answer exactly as the owner would; reads work on either node;
 * a node starting does not touch the instances another node runs; forwarding to a node that is not
 * live says which node.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../src/store/postgres/index.js';
import { hubPerTest, startTestHub, type TestHub } from './helpers/hub.js';
import { groupAlive, killGroupQuietly, spawnScripted, until } from './helpers/instances.js';
import { createTestDatabase, hasPostgres } from './helpers/postgres.js';

const pids: number[] = [];
const hubs = hubPerTest(() => {
  for (const p of pids.splice(0)) killGroupQuietly(p);
});
const drops: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const drop of drops.splice(0)) await drop();
});

const ADMIN = 'cluster-instances-admin-token-0123456789';
const config = { adminToken: ADMIN, instances: { stopGraceSeconds: 0.5, maxConcurrent: 10 } };

async function nodes(n: number): Promise<TestHub[]> {
  const db = await createTestDatabase();
  drops.push(() => db.drop());
  const out: TestHub[] = [];
  for (let i = 0; i < n; i++) out.push(await hubs.start({ db: db.url, ...config }));
  return out;
}

const nodeId = (t: TestHub) => t.hub.services.info.nodes.id;

describe.runIf(hasPostgres())('instances across two hub nodes', () => {
  it('forwards turns (wait and no-wait) and interrupts to the owner; answers equal the owner’s', async () => {
    const [a, b] = await nodes(2);
    const boss = await a.register('boss');
    const as = (t: TestHub, method: string, path: string, body?: unknown) =>
      t.api(method, path, { token: boss.token, body });
    const script = { default: { reply: { template: 'turn {{turn}}: {{input}}' }, cost_usd: 0.25 } };
    const x1 = await spawnScripted(a, boss.token, script);
    const x2 = await spawnScripted(a, boss.token, script);
    pids.push(x1.pid, x2.pid);
    const rec = await a.hub.store.instances.getInstance(x1.instance_id);
    expect(rec?.nodeId).toBe(nodeId(a));
    // x2's answer as x1's twin: its ids swapped for x1's (everything else must match).
    const asTwin = (body: unknown) =>
      JSON.parse(
        JSON.stringify(body)
          .replaceAll(x2.instance_id, x1.instance_id)
          .replaceAll(x2.session_id, x1.session_id),
      );

    // Waiting turns: one asked of the owner, its twin asked of the other node.
    const onA = await as(a, 'POST', `/api/v1/instances/${x1.instance_id}/send`, { message: 'hello' });
    const onB = await as(b, 'POST', `/api/v1/instances/${x2.instance_id}/send`, { message: 'hello' });
    expect(onA.status).toBe(200);
    expect(onB.status).toBe(200);
    expect(onB.body).toMatchObject({ status: 'completed', text: 'turn 1: hello' });
    expect(asTwin(onB.body)).toEqual(onA.body);

    // No-wait turns.
    const sentA = await as(a, 'POST', `/api/v1/instances/${x1.instance_id}/send`, {
      message: 'later',
      wait: false,
    });
    const sentB = await as(b, 'POST', `/api/v1/instances/${x2.instance_id}/send`, {
      message: 'later',
      wait: false,
    });
    expect(sentB.status).toBe(200);
    expect(sentB.body).toMatchObject({ status: 'sent', turn: 2 });
    expect(asTwin(sentB.body)).toEqual(sentA.body);

    // Reads come from the store: the same on both nodes, once the turns are done.
    for (const x of [x1, x2]) {
      await until(`${x.instance_id} idle after 2 turns`, async () => {
        const s = (await as(b, 'GET', `/api/v1/instances/${x.instance_id}`)).body;
        return s.status === 'idle' && s.usage.turns === 2;
      });
    }
    for (const path of [
      `/api/v1/instances/${x2.instance_id}`,
      `/api/v1/instances/${x2.instance_id}/output`,
    ]) {
      const fromA = await as(a, 'GET', path);
      const fromB = await as(b, 'GET', path);
      expect(fromB.status).toBe(200);
      expect(fromB.body).toEqual(fromA.body);
    }
    const out = (await as(b, 'GET', `/api/v1/instances/${x2.instance_id}/output`)).body;
    expect(out.text).toContain('turn 2: later');
    const listA = (await as(a, 'GET', '/api/v1/instances')).body;
    expect((await as(b, 'GET', '/api/v1/instances')).body).toEqual(listA);

    // Interrupt: a hanging turn on the owner, interrupted through the other node.
    const h = await spawnScripted(a, boss.token, { turns: [{ hang: true }, { reply: 'back' }] });
    pids.push(h.pid);
    const hanging = as(b, 'POST', `/api/v1/instances/${h.instance_id}/send`, {
      message: 'think forever',
      timeout_seconds: 30,
    });
    await until('the turn runs (seen from the other node)', async () => {
      return (await as(b, 'GET', `/api/v1/instances/${h.instance_id}`)).body.busy === true;
    });
    const intr = await as(b, 'POST', `/api/v1/instances/${h.instance_id}/interrupt`);
    expect(intr.status).toBe(200);
    expect(intr.body).toMatchObject({
      instance_id: h.instance_id,
      interrupted: true,
      method: 'stdin_control_request',
    });
    const r1 = await hanging;
    expect(r1.body.status).toBe('failed');
    expect(r1.body.failure).toContain('error_during_execution');
    const r2 = await as(b, 'POST', `/api/v1/instances/${h.instance_id}/send`, { message: 'again' });
    expect(r2.body).toMatchObject({ status: 'completed', text: 'back' });
    // Nothing to interrupt: the owner's conflict, word for word, through either node.
    const idleA = await as(a, 'POST', `/api/v1/instances/${h.instance_id}/interrupt`);
    const idleB = await as(b, 'POST', `/api/v1/instances/${h.instance_id}/interrupt`);
    expect(idleB.status).toBe(idleA.status);
    expect(idleB.body).toEqual(idleA.body);
  });

  it('terminates a tree spanning nodes, each instance on its owner; then both nodes refuse turns alike', async () => {
    const [a, b] = await nodes(2);
    const boss = await a.register('boss');
    const script = { default: { reply: 'ok' } };
    const top = await spawnScripted(a, boss.token, script);
    const mid = await spawnScripted(b, boss.token, script, { parent_id: top.instance_id });
    const leaf = await spawnScripted(a, boss.token, script, { parent_id: mid.instance_id });
    pids.push(top.pid, mid.pid, leaf.pid);
    expect((await b.hub.store.instances.getInstance(mid.instance_id))?.nodeId).toBe(nodeId(b));

    const term = await b.api('DELETE', `/api/v1/instances/${top.instance_id}`, { token: boss.token });
    expect(term.status).toBe(200);
    const byId = Object.fromEntries(
      term.body.terminated.map((x: { instance_id: string; status: string; reason: string }) => [
        x.instance_id,
        x,
      ]),
    );
    expect(Object.keys(byId).sort()).toEqual([top, mid, leaf].map((x) => x.instance_id).sort());
    expect(byId[top.instance_id]).toMatchObject({ status: 'stopped', reason: 'terminated by ' + boss.id });
    expect(byId[mid.instance_id]).toMatchObject({
      status: 'stopped',
      reason: `parent ${top.instance_id} was terminated`,
    });
    expect(byId[leaf.instance_id].status).toBe('stopped');
    // Every process is gone, on whichever node ran it.
    for (const x of [top, mid, leaf]) await until(`group ${x.pid} gone`, () => !groupAlive(x.pid));

    const sendA = await a.api('POST', `/api/v1/instances/${top.instance_id}/send`, {
      token: boss.token,
      body: { message: 'hi' },
    });
    const sendB = await b.api('POST', `/api/v1/instances/${top.instance_id}/send`, {
      token: boss.token,
      body: { message: 'hi' },
    });
    expect(sendA.status).toBe(409);
    expect(sendB.status).toBe(409);
    expect(sendB.body).toEqual(sendA.body);
  });

  it('a node starting leaves the instances another node runs alone (no reaping, no kill)', async () => {
    const [a] = await nodes(1);
    const boss = await a.register('boss');
    const x = await spawnScripted(a, boss.token, { default: { reply: { template: '{{input}}' } } });
    pids.push(x.pid);
    const b = await hubs.start({ db: a.hub.config.db, ...config });
    await b.hub.services.instances.ready;
    await b.hub.services.instances.recovered;
    expect(groupAlive(x.pid)).toBe(true);
    const rec = await b.hub.store.instances.getInstance(x.instance_id);
    expect(rec).toMatchObject({ status: 'idle', nodeId: nodeId(a), reason: null });
    // And B's takeover sweep finds nothing to take: A is live.
    await b.hub.services.instances.takeOver();
    expect(await b.hub.store.instances.getInstance(x.instance_id)).toEqual(rec);
    const r = await b.api('POST', `/api/v1/instances/${x.instance_id}/send`, {
      token: boss.token,
      body: { message: 'still here' },
    });
    expect(r.body).toMatchObject({ status: 'completed', text: 'still here' });
    expect(groupAlive(x.pid)).toBe(true);
  });

  it('forwarding to an owner that is not live is `unavailable`, naming the node', async () => {
    const [a] = await nodes(1);
    const boss = await a.register('boss');
    const x = await spawnScripted(a, boss.token, { default: { reply: 'ok' } });
    pids.push(x.pid);
    const db = (a.hub.store as PostgresStore).db;
    await db.query(
      `INSERT INTO nodes (id, url, host, pid, version, store, started_at, heartbeat_at)
       VALUES ('node_gone', NULL, 'elsewhere', 1, '0', 'postgres', now() - interval '1 hour', now() - interval '10 minutes')`,
    );
    // A copy of the record, owned by the silent node (the takeover sweep would fail or take it).
    const rec = (await a.hub.store.instances.getInstance(x.instance_id))!;
    const ghost = { ...rec, id: 'ins_ghost', nodeId: 'node_gone', pid: null, pgid: null };
    await a.hub.store.instances.createInstance(ghost);
    const r = await a.api('POST', '/api/v1/instances/ins_ghost/send', {
      body: { message: 'hi' },
      token: ADMIN,
    });
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe('unavailable');
    expect(r.body.error.message).toContain('hub node node_gone, which is not live (no heartbeat since');
    const t = await a.api('DELETE', '/api/v1/instances/ins_ghost', { token: ADMIN });
    expect(t.status).toBe(503);
    expect(t.body.error.message).toContain('node_gone');
  });

  it('keeps a node id per data directory: a restarted node is the same node', async () => {
    const db = await createTestDatabase();
    drops.push(() => db.drop());
    const first = await startTestHub({ db: db.url, ...config });
    const id = nodeId(first);
    const file = join(first.home, 'node-id');
    expect(readFileSync(file, 'utf8').trim()).toBe(id);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await first.hub.close(); // the hub only: its data directory stays
    const again = await hubs.start({ db: db.url, home: first.home, ...config });
    expect(nodeId(again)).toBe(id);
  });
});
