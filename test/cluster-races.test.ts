/**
 * Exactness across hub nodes: three hubs on one PostgreSQL database, and callers racing each other
 * on different nodes at the same moment. Each race has exactly one winner however the calls are
 * spread: a task claim (one holder, one attempt), a compare-and-set context write, an exclusive file
 * lease (overlapping patterns too, which no unique index can catch), one ballot per agent, and one
 * message per idempotency key. What keeps each exact is the database, not any node's memory.
 */
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, describe, expect, it } from 'vitest';
import { connect2026, textOf } from './mcp-clients.js';
import { createTestDatabase, hasPostgres, type TestDatabase } from './helpers/postgres.js';
import { hubPerTest, type TestHub } from './helpers/hub.js';

const mcps: Client[] = [];
const hubs = hubPerTest(async () => {
  for (const c of mcps.splice(0)) await c.close().catch(() => {});
});

type Agent = { id: string; token: string };

describe.runIf(hasPostgres())('races across three hub nodes on one database', () => {
  const dbs: TestDatabase[] = [];
  afterAll(async () => {
    for (const db of dbs.splice(0)) await db.drop();
  });

  async function threeNodes(): Promise<TestHub[]> {
    const db = await createTestDatabase();
    dbs.push(db);
    const config = { db: db.url, rateLimit: { enabled: false } };
    const nodes: TestHub[] = [];
    for (let i = 0; i < 3; i++) nodes.push(await hubs.start(config));
    return nodes;
  }

  /** `n` agents, registered round-robin over the nodes. */
  async function agents(nodes: TestHub[], n: number, prefix: string, extra = {}): Promise<Agent[]> {
    return Promise.all(
      Array.from({ length: n }, (_, i) => nodes[i % nodes.length]!.register(`${prefix}-${i}`, extra)),
    );
  }

  const op = (node: TestHub, who: Agent, name: string, body: Record<string, unknown>) =>
    node.api('POST', `/api/v1/ops/${name}`, { token: who.token, body });

  /** The statuses of a race's answers, counted: { 200: 1, 409: 49 }. */
  const statuses = (answers: Array<{ status: number }>) => {
    const out: Record<number, number> = {};
    for (const a of answers) out[a.status] = (out[a.status] ?? 0) + 1;
    return out;
  };

  it('50 agents claim one task on three nodes at once (REST and MCP): one winner, one attempt', async () => {
    const nodes = await threeNodes();
    const [creator] = await agents(nodes, 1, 'creator');
    const claimers = await agents(nodes, 50, 'worker', { capabilities: ['build'] });
    const created = await op(nodes[0]!, creator!, 'create_task', {
      title: 'build it',
      required_capabilities: ['build'],
    });
    expect(created.status).toBe(200);
    const taskId = created.body.task.task_id;

    // Every other claimer calls claim_task over MCP (Streamable HTTP), connected before the race.
    const viaMcp = new Map<number, Client>();
    await Promise.all(
      claimers.map(async (a, i) => {
        if (i % 2 === 0) return;
        const client = await connect2026(nodes[i % 3]!.url, { token: a.token });
        mcps.push(client);
        viaMcp.set(i, client);
      }),
    );
    const claim = async (a: Agent, i: number) => {
      const client = viaMcp.get(i);
      if (!client) return op(nodes[i % 3]!, a, 'claim_task', { task_id: taskId });
      const r = await client.callTool({ name: 'claim_task', arguments: { task_id: taskId } });
      const text = textOf(r);
      return r.isError
        ? { status: text.startsWith('conflict') ? 409 : 500, body: text }
        : { status: 200, body: r.structuredContent };
    };
    const answers = await Promise.all(claimers.map((a, i) => claim(a, i)));
    expect(statuses(answers)).toEqual({ 200: 1, 409: 49 });
    const winner = claimers[answers.findIndex((a) => a.status === 200)]!;
    // Each loser is told who won.
    for (const a of answers.filter((x) => x.status === 409))
      expect(JSON.stringify(a.body)).toContain(winner.id);

    for (const node of nodes) {
      const task = await op(node, creator!, 'get_task', { task_id: taskId });
      expect(task.body.task).toMatchObject({ status: 'claimed', assignee: winner.id, attempts: 1 });
    }
    const attempts = await op(nodes[2]!, creator!, 'list_task_attempts', { task_id: taskId });
    expect(attempts.body.attempts).toMatchObject([{ attempt: 1, agent_id: winner.id, outcome: null }]);
  });

  it('20 compare-and-set writes of one key at the same version on three nodes: one wins', async () => {
    const nodes = await threeNodes();
    const writers = await agents(nodes, 20, 'writer');
    const first = await op(nodes[0]!, writers[0]!, 'set_context', {
      scope: 'global',
      key: 'plan',
      value: { v: 'initial' },
    });
    expect(first.status).toBe(200);
    const version = first.body.version;

    const answers = await Promise.all(
      writers.map((w, i) =>
        op(nodes[i % 3]!, w, 'set_context', {
          scope: 'global',
          key: 'plan',
          value: { v: `from ${i}` },
          expected_version: version,
        }),
      ),
    );
    expect(statuses(answers)).toEqual({ 200: 1, 409: 19 });
    const won = answers.findIndex((a) => a.status === 200);
    expect(answers[won]!.body.version).toBe(version + 1);
    for (const node of nodes) {
      const read = await op(node, writers[0]!, 'get_context', { scope: 'global', key: 'plan' });
      expect(read.body).toMatchObject({ version: version + 1, value: { v: `from ${won}` } });
    }
  });

  it('an exclusive lease among acquirers on three nodes: one holder, also for overlapping patterns', async () => {
    const nodes = await threeNodes();
    const same = await agents(nodes, 12, 'same');
    const answers = await Promise.all(
      same.map((a, i) => op(nodes[i % 3]!, a, 'acquire_lease', { patterns: ['src/app.ts'] })),
    );
    expect(statuses(answers)).toEqual({ 200: 1, 409: 11 });

    // Different patterns that all cover src/lib/a.ts: no two may be held at once.
    const patterns = ['src/lib/**', 'src/lib/a.ts', 'src/lib/*.ts', '**/a.ts', 'src/', 'src/lib/'];
    const overlapping = await agents(nodes, 12, 'overlap');
    const raced = await Promise.all(
      overlapping.map((a, i) =>
        op(nodes[i % 3]!, a, 'acquire_lease', { patterns: [patterns[i % patterns.length]!] }),
      ),
    );
    expect(statuses(raced)).toEqual({ 200: 1, 409: 11 });

    const held = await op(nodes[1]!, same[0]!, 'list_leases', {});
    expect(held.status).toBe(200);
    const holders = held.body.leases.map((l: { holder: string }) => l.holder).sort();
    const winners = [
      same[answers.findIndex((a) => a.status === 200)]!.id,
      overlapping[raced.findIndex((a) => a.status === 200)]!.id,
    ].sort();
    expect(holders).toEqual(winners);
  });

  it('one agent voting on three nodes at once is counted once', async () => {
    const nodes = await threeNodes();
    const voters = await agents(nodes, 5, 'voter');
    const started = await op(nodes[0]!, voters[0]!, 'start_vote', {
      proposal: 'ship it?',
      options: ['yes', 'no'],
      participants: voters.map((v) => v.id),
      rule: 'majority',
    });
    expect(started.status).toBe(200);
    const voteId = started.body.vote_id;

    // Two voters, each casting on all three nodes at once (one of them with different options).
    const plans: Array<[Agent, string[]]> = [
      [voters[1]!, ['yes', 'yes', 'yes']],
      [voters[2]!, ['no', 'yes', 'no']],
    ];
    const answers = await Promise.all(
      plans.flatMap(([voter, options]) =>
        options.map((option, i) => op(nodes[i]!, voter, 'cast_vote', { vote_id: voteId, option })),
      ),
    );
    for (let p = 0; p < plans.length; p++) {
      const mine = answers.slice(p * 3, p * 3 + 3);
      // Exactly one ballot recorded; the others repeat it (recorded: false) or are refused.
      expect(mine.filter((a) => a.status === 200 && a.body.recorded === true)).toHaveLength(1);
      for (const a of mine) expect([200, 409]).toContain(a.status);
    }

    const vote = (await op(nodes[2]!, voters[0]!, 'get_vote', { vote_id: voteId })).body;
    expect(vote.votes.map((v: { agent_id: string }) => v.agent_id).sort()).toEqual(
      [voters[1]!.id, voters[2]!.id].sort(),
    );
    expect(Object.values(vote.tally as Record<string, number>).reduce((s, n) => s + n, 0)).toBe(2);
    expect(vote.missing.sort()).toEqual([voters[0]!.id, voters[3]!.id, voters[4]!.id].sort());
  });

  it('one idempotency key sent on three nodes at once is stored once', async () => {
    const nodes = await threeNodes();
    const [sender, receiver] = await agents(nodes, 2, 'peer');
    const KEYS = 10;
    const answers = await Promise.all(
      Array.from({ length: KEYS }, (_, k) =>
        nodes.map((node, n) =>
          node.api('POST', '/api/v1/messages', {
            token: sender!.token,
            body: { to: receiver!.id, body: `key ${k} via node ${n}`, idempotency_key: `k${k}` },
          }),
        ),
      ).flat(),
    );
    expect(statuses(answers)).toEqual({ 200: KEYS * 3 });
    for (let k = 0; k < KEYS; k++) {
      const ids = new Set(answers.slice(k * 3, k * 3 + 3).map((a) => a.body.message_id));
      expect(ids.size).toBe(1);
    }
    const inbox = await nodes[1]!.api('GET', '/api/v1/messages?since=0&limit=100&mark_read=false', {
      token: receiver!.token,
    });
    expect(inbox.status).toBe(200);
    expect(inbox.body.messages).toHaveLength(KEYS);
    const cursors = inbox.body.messages.map((m: { cursor: string | number }) => Number(m.cursor));
    expect(cursors).toEqual(Array.from({ length: KEYS }, (_, i) => i + 1));
    const firstIds = Array.from({ length: KEYS }, (_, k) => answers[k * 3]!.body.message_id);
    expect(new Set(inbox.body.messages.map((m: { message_id: string }) => m.message_id))).toEqual(
      new Set(firstIds),
    );
  });
});
