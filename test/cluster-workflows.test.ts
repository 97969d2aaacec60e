/**
 * Workflow runs in a cluster (real PostgreSQL): a run is owned by the node running it under a lease
 * that node renews. A node starting leaves other live nodes' runs alone; a node that closes hands its
 * runs on at once; a node process killed with SIGKILL during a slow step loses its runs when its
 * lease ends, and a survivor takes them over and finishes them — completed steps are not run again,
 * the step in flight follows the resume rule (runs again when marked retry_on_resume, else fails).
 * Leases here: 1 s, renewed (and looked for) every 0.2 s. The killed node runs from dist/ (build first).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin } from '../src/core/caller.js';
import type { PostgresStore } from '../src/store/postgres/index.js';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { createTestDatabase, type TestDatabase } from './helpers/postgres.js';
import { eventually } from './gateway-support.js';
import { type NodeProcess, startNodeProcess } from './helpers/node-process.js';

const workflows = { leaseSeconds: 1, leaseRenewSeconds: 0.2 };

let db: TestDatabase;
const hubs: TestHub[] = [];
const children: ChildProcess[] = [];
const homes: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (const h of hubs) await h.close().catch(() => {});
  for (const home of homes) rmSync(home, { recursive: true, force: true });
  await db?.drop();
});

async function node(): Promise<TestHub> {
  const h = await startTestHub({ db: db.url, workflows });
  hubs.push(h);
  return h;
}

/** `switchboard serve --db <url>` as its own process, with this file's short leases. */
async function nodeProcess(): Promise<NodeProcess> {
  const home = mkdtempSync(join(tmpdir(), 'switchboard-wf-node-'));
  homes.push(home);
  const config = join(home, 'config.json');
  writeFileSync(config, JSON.stringify({ workflows }));
  return startNodeProcess({ db: db.url, home, config, track: (proc) => children.push(proc) });
}

async function api(url: string, method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(url + path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as any };
}

const step = (run: any, id: string) => run.steps.find((s: { id: string }) => s.id === id);

/** Starts a gated run on `node` (its starter and recorder named after `name`) and waits until its gate step runs. */
async function startGated(node: TestHub, name: string) {
  const starter = await node.register(`${name}-starter`);
  const recorder = await node.register(`${name}-recorder`);
  const started = await api(node.url, 'POST', '/api/v1/workflows', starter.token, {
    definition: gated(recorder.id),
  });
  expect(started.status).toBe(201);
  const runId: string = started.body.run_id;
  await eventually(
    async () =>
      step((await api(node.url, 'GET', `/api/v1/workflows/${runId}`, starter.token)).body, 'gate').status ===
      'running',
  );
  return { starter, recorder, runId };
}

/** Sends a message, then waits for one to the starter (the slow step), then sends another. */
function gated(recorder: string, gate: Record<string, unknown> = { retry_on_resume: true }) {
  return {
    name: 'gated',
    steps: [
      { id: 'one', call: 'send_message', input: { to: recorder, subject: 'step one', body: 'x' } },
      { id: 'gate', call: 'wait_for_messages', input: { timeout_seconds: 300 }, ...gate },
      {
        id: 'three',
        call: 'send_message',
        input: { to: recorder, subject: 'step three', body: '{{steps.gate.output.messages[0].body}}' },
      },
    ],
  };
}

async function subjects(url: string, token: string): Promise<string[]> {
  const inbox = await api(url, 'GET', '/api/v1/messages?limit=500', token);
  return inbox.body.messages.map((m: { subject: string }) => m.subject);
}

describe('workflow runs owned by a node', () => {
  it('a node starting does not take a live node’s run; the owner keeps and finishes it', async () => {
    const a = await node();
    const { starter, recorder, runId } = await startGated(a, 'owner');
    const aId = a.hub.services.info.nodes.id;
    const first = await a.hub.store.workflows.getRun(runId);
    expect(first?.nodeId).toBe(aId);

    const b = await node();
    // Several lease lengths pass with B looking for runs to take over: A renews, B takes nothing.
    const leaseSeen = first!.leaseExpiresAt!;
    await eventually(async () => {
      const now = await b.hub.store.workflows.getRun(runId);
      return Date.parse(now!.leaseExpiresAt!) > Date.parse(leaseSeen) + 3000;
    }, 15_000);
    const still = await b.api('GET', `/api/v1/workflows/${runId}`, { token: starter.token });
    expect((await b.hub.store.workflows.getRun(runId))?.nodeId).toBe(aId);
    expect(step(still.body, 'gate')).toMatchObject({ status: 'running', attempts: 1, error: null });

    expect(b.hub.services.workflows.isRunningHere(runId)).toBe(false);
    // A wait on B (not running it) waits for A to finish it, woken through the bus.
    const waitedOnB = b.hub.services.workflows.wait(runId, admin, 30_000);
    // Released through B (any node): A's step hears it and A finishes the run.
    await api(b.url, 'POST', '/api/v1/messages', recorder.token, {
      to: starter.id,
      subject: 'go',
      body: 'via b',
    });
    const done = await eventually(async () => {
      const r = await api(b.url, 'GET', `/api/v1/workflows/${runId}`, starter.token);
      return r.body.status !== 'running' && r.body;
    });
    expect(done.status).toBe('completed');
    expect(done.steps.map((s: { attempts: number }) => s.attempts)).toEqual([1, 1, 1]);
    expect((await waitedOnB).status).toBe('completed');
    expect((await a.hub.store.workflows.getRun(runId))?.nodeId).toBe(aId);
    await a.close();
    await b.close();
  });

  it('a node that closes hands its running runs to another node at once', async () => {
    const a = await node();
    const b = await node();
    const { starter, recorder, runId } = await startGated(a, 'handover');
    await a.close();
    const bId = b.hub.services.info.nodes.id;
    const resumed = await eventually(async () => {
      const r = await api(b.url, 'GET', `/api/v1/workflows/${runId}`, starter.token);
      return step(r.body, 'gate').attempts === 2 && r.body;
    });
    expect((await b.hub.store.workflows.getRun(runId))?.nodeId).toBe(bId);
    expect(step(resumed, 'one')).toMatchObject({ status: 'completed', attempts: 1 });
    await api(b.url, 'POST', '/api/v1/messages', recorder.token, {
      to: starter.id,
      subject: 'go',
      body: 'on b',
    });
    const done = await eventually(async () => {
      const r = await api(b.url, 'GET', `/api/v1/workflows/${runId}`, starter.token);
      return r.body.status !== 'running' && r.body;
    });
    expect(done.status).toBe('completed');
    expect(await subjects(b.url, recorder.token)).toEqual(['step one', 'step three']);
    await b.close();
  });

  it('a node killed with SIGKILL mid-step: a survivor takes its runs over and finishes them', async () => {
    const survivor = await node();
    const doomed = await nodeProcess();
    const starter = await survivor.register('killed-starter');
    const unsafe = await survivor.register('killed-starter-unsafe');
    const recorder = await survivor.register('killed-recorder');
    const recorder2 = await survivor.register('killed-recorder-unsafe');
    // Two runs on the doomed node: one whose slow step may run again, one whose may not.
    const safeRun = await api(doomed.url, 'POST', '/api/v1/workflows', starter.token, {
      definition: gated(recorder.id),
    });
    const unsafeRun = await api(doomed.url, 'POST', '/api/v1/workflows', unsafe.token, {
      definition: gated(recorder2.id, {}),
    });
    expect([safeRun.status, unsafeRun.status]).toEqual([201, 201]);
    const safeId: string = safeRun.body.run_id;
    const unsafeId: string = unsafeRun.body.run_id;
    for (const [id, token] of [
      [safeId, starter.token],
      [unsafeId, unsafe.token],
    ] as const) {
      await eventually(
        async () =>
          step((await api(doomed.url, 'GET', `/api/v1/workflows/${id}`, token)).body, 'gate').status ===
          'running',
      );
    }
    const doomedNode = (await survivor.hub.store.workflows.getRun(safeId))?.nodeId;
    expect(doomedNode).toBeDefined();
    expect(doomedNode).not.toBe(survivor.hub.services.info.nodes.id);
    doomed.proc.kill('SIGKILL');

    const survivorId = survivor.hub.services.info.nodes.id;
    const resumed = await eventually(async () => {
      const r = await survivor.api('GET', `/api/v1/workflows/${safeId}`, { token: starter.token });
      return step(r.body, 'gate').attempts === 2 && r.body;
    }, 20_000);
    expect((await survivor.hub.store.workflows.getRun(safeId))?.nodeId).toBe(survivorId);
    expect(step(resumed, 'one')).toMatchObject({ status: 'completed', attempts: 1 });
    expect(step(resumed, 'gate').error).toContain('run again (the step is marked retry_on_resume)');

    // The unsafe one: its in-flight step is not run again, the run fails (on the survivor).
    const failed = await eventually(async () => {
      const r = await survivor.api('GET', `/api/v1/workflows/${unsafeId}`, { token: unsafe.token });
      return r.body.status !== 'running' && r.body;
    }, 20_000);
    expect(failed.status).toBe('failed');
    expect(step(failed, 'gate')).toMatchObject({ status: 'failed', attempts: 1 });
    expect(step(failed, 'gate').error).toContain('not run again');
    expect(step(failed, 'three').attempts).toBe(0);

    await survivor.api('POST', '/api/v1/messages', {
      token: recorder.token,
      body: { to: starter.id, subject: 'go', body: 'released' },
    });
    const done = await eventually(async () => {
      const r = await survivor.api('GET', `/api/v1/workflows/${safeId}`, { token: starter.token });
      return r.body.status !== 'running' && r.body;
    });
    expect(done.status).toBe('completed');
    expect(done.steps.map((s: { attempts: number }) => s.attempts)).toEqual([1, 2, 1]);
    // The step completed before the kill was not run again.
    expect(await subjects(survivor.url, recorder.token)).toEqual(['step one', 'step three']);
    expect(await subjects(survivor.url, recorder2.token)).toEqual(['step one']);
  });

  it('a node that lost its run (lease taken) stops it quietly and writes nothing more', async () => {
    const a = await node();
    const { starter, recorder, runId } = await startGated(a, 'fenced');
    const pgdb = (a.hub.store as PostgresStore).db;
    // As if A had stalled and another node had taken the run over: it is no longer A's.
    await pgdb.query(
      `UPDATE workflow_runs SET node_id = 'node_elsewhere', lease_expires_at = now() + interval '1 hour' WHERE id = $1`,
      [runId],
    );
    // A's next renewal finds it gone: its run stops there.
    await eventually(() => !a.hub.services.workflows.isRunningHere(runId));
    // The stopped step no longer waits: the message stays unread, and A writes nothing for the run.
    await api(a.url, 'POST', '/api/v1/messages', recorder.token, {
      to: starter.id,
      subject: 'go',
      body: 'late',
    });
    const unread = await api(a.url, 'GET', '/api/v1/messages?mark_read=false&limit=10', starter.token);
    expect(unread.body.messages.map((m: { body: unknown }) => m.body)).toEqual(['late']);
    const view = await api(a.url, 'GET', `/api/v1/workflows/${runId}`, starter.token);
    expect(view.body.status).toBe('running');
    expect(step(view.body, 'gate')).toMatchObject({ status: 'running', attempts: 1 });

    // The "other node" dies too: its lease ends, a live node takes the run and finishes it.
    await pgdb.query(
      `UPDATE workflow_runs SET lease_expires_at = now() - interval '1 second' WHERE id = $1`,
      [runId],
    );
    const done = await eventually(async () => {
      const r = await api(a.url, 'GET', `/api/v1/workflows/${runId}`, starter.token);
      return r.body.status !== 'running' && r.body;
    });
    expect(done.status).toBe('completed');
    expect(done.steps.map((s: { attempts: number }) => s.attempts)).toEqual([1, 2, 1]);
    expect(await subjects(a.url, recorder.token)).toEqual(['step one', 'step three']);
  });

  it('a run cancelled on another node stops on its owner at once; its step is not completed later', async () => {
    const a = await node();
    const b = await node();
    const { starter, recorder, runId } = await startGated(a, 'cancel');
    const cancelled = await api(b.url, 'POST', `/api/v1/workflows/${runId}/cancel`, starter.token, {
      reason: 'from b',
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    await eventually(() => !a.hub.services.workflows.isRunningHere(runId));
    // The aborted wait consumed nothing: a message sent now stays unread.
    await api(a.url, 'POST', '/api/v1/messages', recorder.token, {
      to: starter.id,
      subject: 'go',
      body: 'x',
    });
    const unread = await api(a.url, 'GET', '/api/v1/messages?mark_read=false&limit=10', starter.token);
    expect(unread.body.messages).toHaveLength(1);
    const view = await api(a.url, 'GET', `/api/v1/workflows/${runId}`, starter.token);
    expect(view.body.status).toBe('cancelled');
    expect(view.body.steps.map((s: { status: string }) => s.status)).toEqual([
      'completed',
      'cancelled',
      'cancelled',
    ]);
    expect(view.body.error).toBe(`cancelled by agent:${starter.id}: from b`);
    await a.close();
    await b.close();
  });
});
