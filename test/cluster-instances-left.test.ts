/**
 * A hub node that LEAVES on purpose (SIGTERM, hub close) is not a dead one (real PostgreSQL). It
 * suspends its resumable instances and its `nodes` row stays, marked left; the surviving nodes leave
 * those instances alone (a turn sent to one is a clear `unavailable` saying so) and the node resumes
 * them itself when it starts again on its data directory, the same node id. Only when it has not come
 * back within `instances.takeoverLeftAfterSeconds` does a live node take them over. The node that
 * leaves and comes back is a real `switchboard serve --db` child (needs dist/: `npm run build`).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PostgresStore } from '../src/store/postgres/index.js';
import { hubPerTest, startTestHub, type TestHub } from './helpers/hub.js';
import { groupAlive, killGroupQuietly, spawnScripted, until } from './helpers/instances.js';
import { startNodeProcess } from './helpers/node-process.js';
import { createTestDatabase, hasPostgres } from './helpers/postgres.js';

const ADMIN = 'cluster-left-admin-token-0123456789';
const config = { adminToken: ADMIN, instances: { stopGraceSeconds: 0.5 } };
const script = { default: { reply: { template: 'turn {{turn}}: {{input}}' } } };
const pgids: number[] = [];
const children: ChildProcess[] = [];
const homes: string[] = [];
const drops: Array<() => Promise<void>> = [];
const hubs = hubPerTest();

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (const g of pgids) killGroupQuietly(g);
  for (const h of homes) rmSync(h, { recursive: true, force: true });
  for (const drop of drops.splice(0)) await drop();
});

async function database(): Promise<string> {
  const db = await createTestDatabase();
  drops.push(() => db.drop());
  return db.url;
}

async function api(url: string, method: string, path: string, body?: unknown) {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as any };
}

const nodeId = (t: TestHub) => t.hub.services.info.nodes.id;

describe.runIf(hasPostgres())('a hub node that leaves on purpose', () => {
  it('(SIGTERM) keeps its suspended instance from the survivors and resumes it when it starts again', async () => {
    const db = await database();
    const home = mkdtempSync(join(tmpdir(), 'switchboard-leaving-node-'));
    homes.push(home);
    const start = () =>
      startNodeProcess({
        db,
        home,
        env: { SWITCHBOARD_ADMIN_TOKEN: ADMIN },
        track: (proc) => children.push(proc),
      });
    const leaving = await start();
    const leftId = readFileSync(join(home, 'node-id'), 'utf8').trim();
    const survivor = await hubs.start({ db, ...config });

    const spawned = await api(leaving.url, 'POST', '/api/v1/instances', { adapter: 'scripted', script });
    expect(spawned.status).toBe(201);
    pgids.push(spawned.body.pid);
    const id = spawned.body.instance_id as string;
    const first = await api(leaving.url, 'POST', `/api/v1/instances/${id}/send`, { message: 'hello' });
    expect(first.body).toMatchObject({ status: 'completed', text: 'turn 1: hello' });

    leaving.proc.kill('SIGTERM');
    expect(await new Promise((r) => leaving.proc.once('exit', r))).toBe(0);
    const suspended = await survivor.hub.store.instances.getInstance(id);
    expect(suspended).toMatchObject({ nodeId: leftId, status: 'idle', pid: null, endedAt: null });
    expect(groupAlive(spawned.body.pid)).toBe(false);
    const listed = (await survivor.api('GET', '/api/v1/nodes', { token: ADMIN })).body.nodes;
    expect(listed.find((n: any) => n.node_id === leftId)).toMatchObject({ state: 'left', self: false });

    // The survivor's takeover sweep leaves it to its node (which is not live, but left on purpose).
    await survivor.hub.services.instances.takeOver();
    expect(await survivor.hub.store.instances.getInstance(id)).toEqual(suspended);
    const turn = await survivor.api('POST', `/api/v1/instances/${id}/send`, {
      token: ADMIN,
      body: { message: 'anyone?' },
    });
    expect(turn.status).toBe(503);
    expect(turn.body.error.code).toBe('unavailable');
    expect(turn.body.error.message).toMatch(
      new RegExp(
        `^Instance ${id} runs on hub node ${leftId}, which left the cluster at \\S+ \\(closed on purpose\\); ` +
          'it resumes the instance when it starts again, or a live node takes it over 600 s after it left',
      ),
    );

    // Back on its data directory: the same node, which resumes its own instance.
    const back = await start();
    expect(readFileSync(join(home, 'node-id'), 'utf8').trim()).toBe(leftId);
    const resumed = await until('the instance resumed by its own node', async () => {
      const v = (await api(back.url, 'GET', `/api/v1/instances/${id}`)).body;
      return v.status === 'idle' && v.pid ? v : null;
    });
    pgids.push(resumed.pid);
    expect(resumed.session_id).toBe(spawned.body.session_id);
    expect((await survivor.hub.store.instances.getInstance(id))?.nodeId).toBe(leftId);
    const live = (await survivor.api('GET', '/api/v1/nodes', { token: ADMIN })).body.nodes;
    expect(live.find((n: any) => n.node_id === leftId)).toMatchObject({ state: 'live', left_at: null });
    // Turns sent on the survivor go to it again.
    const again = await survivor.api('POST', `/api/v1/instances/${id}/send`, {
      token: ADMIN,
      body: { message: 'again' },
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'completed', text: 'turn 2: again' });
    back.proc.kill('SIGTERM');
    await new Promise((r) => back.proc.once('exit', r));
  }, 90_000);

  it('(hub close) has its suspended instance taken over once instances.takeoverLeftAfterSeconds has passed', async () => {
    const db = await database();
    const leaving = await startTestHub({ db, ...config });
    homes.push(leaving.home);
    const survivor = await hubs.start({ db, ...config });
    const x = await spawnScripted(leaving, ADMIN, script);
    pgids.push(x.pid);
    const first = await leaving.api('POST', `/api/v1/instances/${x.instance_id}/send`, {
      token: ADMIN,
      body: { message: 'hello' },
    });
    expect(first.body).toMatchObject({ status: 'completed', text: 'turn 1: hello' });
    const leftId = nodeId(leaving);
    await leaving.hub.close(); // the hub only: its data directory stays, as a node's would

    await survivor.hub.services.instances.takeOver();
    const suspended = await survivor.hub.store.instances.getInstance(x.instance_id);
    expect(suspended).toMatchObject({ nodeId: leftId, status: 'idle', pid: null });

    // Its node has not come back for longer than the grace (600 s by default): as if it left then.
    const pg = (survivor.hub.store as PostgresStore).db;
    await pg.query(`UPDATE nodes SET left_at = now() - interval '11 minutes' WHERE id = $1`, [leftId]);
    await survivor.hub.services.instances.takeOver();
    const taken = await until('the survivor resuming the instance', async () => {
      const v = (await survivor.api('GET', `/api/v1/instances/${x.instance_id}`, { token: ADMIN })).body;
      return v.status === 'idle' && v.pid ? v : null;
    });
    pgids.push(taken.pid);
    expect((await survivor.hub.store.instances.getInstance(x.instance_id))?.nodeId).toBe(nodeId(survivor));
    const out = await survivor.api('GET', `/api/v1/instances/${x.instance_id}/output?limit=1000`, {
      token: ADMIN,
    });
    const note = out.body.events.find((e: { kind: string }) => e.kind === 'resumed');
    expect(note.reason).toMatch(
      new RegExp(
        `^hub node ${leftId} left the cluster at \\S+ and did not start again within 600 s ` +
          `\\(instances.takeoverLeftAfterSeconds\\); resuming on hub node ${nodeId(survivor)}`,
      ),
    );
    const again = await survivor.api('POST', `/api/v1/instances/${x.instance_id}/send`, {
      token: ADMIN,
      body: { message: 'again' },
    });
    expect(again.body).toMatchObject({ status: 'completed', text: 'turn 2: again' });
  }, 60_000);
});
