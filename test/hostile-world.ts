/**
 * The world the hostile-input tests run in, and a valid input for every operation of the catalog in
 * it. The world: agents (alpha calls, bee answers), messages and a thread, a topic, context keys, a
 * lease, tasks, votes, scripted instances (`switchboard agent --script`, from dist/), the fixture MCP
 * server behind the gateway with an approval rule, and workflows. `cases` must name exactly the hub's
 * operations (`uncovered`), so an operation added to the catalog without a valid input fails the test.
 */
import type { Client } from '@modelcontextprotocol/client';
import { expect } from 'vitest';
import type { ConfigInput } from '../src/config/schema.js';
import { FIXTURE } from './gateway-support.js';
import type { TestHub } from './helpers/hub.js';
import { spawnScripted, until } from './helpers/instances.js';
import { stored } from './hostile-support.js';
import { connect2025 } from './mcp-clients.js';
import { WsClient } from './ws-resume-client.js';

export type Who = 'anonymous' | 'agent' | 'admin';
export type Input = Record<string, unknown>;

/** How to make a valid call of one operation, and what its success looks like. */
export interface ValidCase {
  /**
   * Who the valid call is checked as. Default, by access: public → anonymous and the agent; agent →
   * the agent and the admin acting for it (`agent_id`/`from` added); admin → the admin.
   */
  as?: Who[];
  /** A valid input, after building what the call uses up (a claimed task to complete, a lease to release). */
  prepare(who: Who): Input | Promise<Input>;
  /** The token to call with instead of the caller's (an agent that retires itself). */
  token?(input: Input, who: Who): string | undefined;
  /**
   * Someone else's part while the call waits (bee answers the request, works on the fan-out task).
   * Nobody does it in the property runs, so there these calls wait only `FUZZ_WAIT_SECONDS`.
   */
  meanwhile?(): Promise<void>;
  /** What the success answer must hold, beyond a 2xx status. */
  check?(body: any, who: Who): void;
  /** Stops what the call started and keeps running (spawned instances, an added server). */
  cleanup?(body: any): Promise<void>;
}

/** The answer time of calls that wait for someone else (request, fan_out, run_pipeline). */
export const ANSWER_SECONDS = 20;
export const FUZZ_WAIT_SECONDS = 1;

/** The hub the world needs: no rate limit, short waits, no background sweeps (see `settle`). */
export const worldConfig: ConfigInput = {
  rateLimit: { enabled: false },
  http: { bodyLimitBytes: 512 * 1024 },
  // No wait unless asked for; a valid input's wait is capped at ANSWER_SECONDS, time enough for bee.
  messages: { defaultWaitSeconds: 0, maxWaitSeconds: ANSWER_SECONDS },
  // Sweeps change rows on a timer (leases run out, tasks go back to open): none during the test, so a
  // change seen while a rejected call runs was made by that call.
  presence: { sweepIntervalSeconds: 3600 },
  tasks: { defaultWaitSeconds: 0, maxWaitSeconds: ANSWER_SECONDS, sweepIntervalSeconds: 3600 },
  instances: { maxConcurrent: 8, stopGraceSeconds: 0.5, defaultWaitSeconds: 10, maxWaitSeconds: 30 },
  workflows: { defaultWaitSeconds: 10 },
  gateway: {
    approvals: {
      timeoutSeconds: 3600,
      rules: [{ tools: ['fixture__fixture_echo'], args: { text: '^hold' } }],
    },
    servers: [
      {
        name: 'fixture',
        command: process.execPath,
        args: [FIXTURE, 'hostile-world'],
        // A hanging step keeps its workflow running until it is cancelled.
        toolTimeouts: { fixture_hang: 3600 },
      },
    ],
  },
};

const SCRIPT = { default: { reply: { template: 'echo: {{input}}' } } };

export interface World {
  t: TestHub;
  alpha: { id: string; token: string };
  bee: { id: string; token: string };
  /** bee's live socket: how it learns of requests and tasks while a valid call waits for it. */
  beeSocket: WsClient;
  cases: Record<string, ValidCase>;
  /** Waits until nothing runs on in the background (see below). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** Operations of the hub without a valid input here, and names here that are no operation. */
export function uncovered(
  hubOps: Iterable<string>,
  cases: Record<string, unknown>,
): { missing: string[]; stale: string[] } {
  const ops = new Set(hubOps);
  return {
    missing: [...ops].filter((name) => !(name in cases)).sort(),
    stale: Object.keys(cases)
      .filter((name) => !ops.has(name))
      .sort(),
  };
}

export async function buildWorld(t: TestHub): Promise<World> {
  let serial = 0;
  const fresh = (prefix: string) => `${prefix}-${++serial}`;
  const api = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await t.api(method, path, { token, body });
    if (res.status >= 300)
      throw new Error(`world: ${method} ${path} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    return res.body;
  };

  await until(
    'the fixture server behind the gateway',
    async () =>
      (await api('GET', '/api/v1/gateway/health?name=fixture', t.adminToken)).servers[0]?.state === 'ready',
    30_000,
  );
  const alpha = await t.register('Alpha', { agent_id: 'alpha', capabilities: ['x'] });
  const bee = await t.register('Bee', { agent_id: 'bee', capabilities: ['x'] });
  const holder = await t.register('Holder', { agent_id: 'holder' });
  const beeSocket = await WsClient.connect(t.url, bee.id, { token: bee.token });
  const doomedTokens = new Map<string, string>();

  // Messages: bee → alpha opens a thread alpha takes part in.
  const toAlpha = await api('POST', '/api/v1/messages', bee.token, { to: alpha.id, body: 'hello alpha' });
  const toBee = await api('POST', '/api/v1/messages', alpha.token, { to: bee.id, body: 'hello bee' });
  await api('POST', '/api/v1/topics/subscribe', alpha.token, { topic: 'news' });
  const m = toAlpha.message_id as string;
  // ...and brings holder into it: a participant the thread's first message does not name (its
  // sender and recipients take part through that message; only later joiners are rows).
  await api('POST', '/api/v1/messages', alpha.token, { to: holder.id, thread_id: m, body: 'join us' });

  // Context: a key alpha's project shares.
  const ctxScope = { scope: 'project', scope_id: 'default' };
  await api('PUT', '/api/v1/context/project/shared', alpha.token, { ...ctxScope, value: { v: 1 } });

  // Tasks: created by alpha; `claimed` ones are assigned to alpha at once.
  const task = async (extra: Input = {}) =>
    (
      await api('POST', '/api/v1/tasks', alpha.token, {
        title: fresh('task'),
        required_capabilities: ['x'],
        ...extra,
      })
    ).task.task_id as string;
  const claimed = () => task({ assignee: alpha.id });
  const waiting = async () => {
    const id = await claimed();
    await api('POST', `/api/v1/tasks/${id}/request-input`, alpha.token, { question: 'which one?' });
    return id;
  };
  const finished = await claimed();
  await api('POST', `/api/v1/tasks/${finished}/complete`, alpha.token, { result: { ok: true } });

  // Leases: one alpha renews; fresh ones to release.
  const lease = async () =>
    (
      await api('POST', '/api/v1/leases', alpha.token, {
        patterns: [`docs/${fresh('lease')}/**`],
        ttl_seconds: 3600,
      })
    ).lease_id as string;
  const heldLease = await lease();

  // Votes: an open one alpha and bee take part in; one alpha alone decided.
  const vote = async (participants: string[]) =>
    (
      await api('POST', '/api/v1/votes', alpha.token, {
        proposal: fresh('proposal'),
        options: ['yes', 'no'],
        participants,
        rule: 'majority',
        deadline_seconds: 3600,
      })
    ).vote_id as string;
  const openVote = await vote([alpha.id, bee.id]);
  const decidedVote = await vote([alpha.id]);
  await api('POST', `/api/v1/votes/${decidedVote}/cast`, alpha.token, { option: 'yes' });

  // Instances: one idle scripted instance of alpha's; fresh ones to terminate.
  const instance = async () => {
    const view = await spawnScripted(t, alpha.token, SCRIPT, { name: fresh('inst') });
    return view.instance_id as string;
  };
  const stop = async (id: string) => {
    await t.api('DELETE', `/api/v1/instances/${id}`, { token: t.adminToken });
  };
  const shared = await instance();
  // Thread digests: a prose summary of alpha's thread, written by alpha's instance (thread_summaries).
  await api('POST', `/api/v1/threads/${m}/summary`, alpha.token, {
    by_instance: shared,
    timeout_seconds: 20,
  });

  // Workflows: one finished run; runs that hang on a downstream call until cancelled.
  const done = await api('POST', '/api/v1/workflows', alpha.token, {
    definition: { steps: [{ id: 'status', call: 'hub_status' }] },
    wait: true,
  });
  const hanging = new Set<string>();
  const hangingRun = async () => {
    const run = await api('POST', '/api/v1/workflows', alpha.token, {
      definition: { steps: [{ id: 'hang', call: 'fixture__fixture_hang' }] },
    });
    hanging.add(run.run_id);
    await until('the hanging step to run', () =>
      stored(
        t,
        {
          sqlite: `SELECT 1 FROM workflow_steps WHERE run_id = ? AND step_id = 'hang' AND status = 'running'`,
          postgres: `SELECT 1 FROM workflow_steps WHERE run_id = $1 AND step_id = 'hang' AND status = 'running'`,
        },
        [run.run_id],
      ).then((rows) => rows[0]),
    );
    return run.run_id as string;
  };

  // Approvals: a call through the gateway that waits for the admin's decision.
  const clients: Client[] = [];
  const held: Array<Promise<unknown>> = [];
  const pendingApproval = async () => {
    const client = await connect2025(t.url, { token: holder.token });
    clients.push(client);
    const text = `hold ${fresh('call')}`;
    held.push(
      client
        .callTool({ name: 'fixture__fixture_echo', arguments: { text } }, { timeout: 3_600_000 })
        .catch(() => undefined),
    );
    const row = await until('the held call', () =>
      stored(
        t,
        {
          sqlite: `SELECT id FROM gateway_approvals WHERE status = 'pending' AND json_extract(args, '$.text') = ?`,
          postgres: `SELECT id FROM gateway_approvals WHERE status = 'pending' AND args::json ->> 'text' = $1`,
        },
        [text],
      ).then((rows) => rows[0]),
    );
    return (row as { id: string }).id;
  };

  // Gateway servers added at run time.
  const addServer = async (name: string) => {
    await api('POST', '/api/v1/gateway/servers', t.adminToken, {
      name,
      command: process.execPath,
      args: [FIXTURE, 'hostile-world'],
    });
    return name;
  };

  // A row in every table, so the fingerprint test sees each one change: a server added at run time,
  // a decided approval, bee's subscriptions (calls as alpha may unsubscribe alpha from everything).
  await addServer('kept');
  await api('POST', `/api/v1/gateway/approvals/${await pendingApproval()}/deny`, t.adminToken, {});
  // alpha decides its project's approvals (holder's held calls), and relays permission prompts.
  await api('POST', '/api/v1/gateway/approval-grants', t.adminToken, { agent_id: alpha.id });
  const openPrompt = async () =>
    (
      await api('POST', '/api/v1/gateway/permissions', alpha.token, {
        request_id: `p${++serial}`,
        tool_name: 'Bash',
        description: 'run ls',
        input_preview: '{"command":"ls"}',
      })
    ).approval.id as string;
  const closePrompt = (id: string) =>
    api('POST', `/api/v1/gateway/approvals/${id}/close`, alpha.token, {}).catch(() => undefined);
  await api('POST', '/api/v1/context/subscribe', bee.token, { ...ctxScope, key: 'shared' });
  await api('POST', '/api/v1/topics/subscribe', bee.token, { topic: 'news' });

  /** bee's part: the first frame from now on that matches, then its answer. */
  const beeAnswers = (match: (f: any) => boolean, answer: (f: any) => Promise<unknown>) => async () => {
    const from = beeSocket.frames.length;
    const frame = await beeSocket.waitFor(match, ANSWER_SECONDS * 1000, 'bee to be asked', from);
    await answer(frame);
  };
  /** bee completes the task titled so that the call gives it. */
  const beeWorks = (title: string) =>
    beeAnswers(
      (f) => f.type === 'task.claimed' && f.task?.assignee === bee.id && f.task?.title === title,
      (f) =>
        api('POST', `/api/v1/tasks/${f.task.task_id}/complete`, bee.token, { result: { done: 'by bee' } }),
    );

  const cases: Record<string, ValidCase> = {
    // ---------------------------------------------------------------- agents
    register_agent: {
      prepare: () => ({
        name: 'New',
        agent_id: fresh('fresh'),
        capabilities: ['x'],
        metadata: { k: 1 },
        project: 'default',
      }),
      check: (b) => expect(b.token).toMatch(/^sb_/),
    },
    whoami: { prepare: () => ({}), check: (b) => expect(b.agent.agent_id).toBe(alpha.id) },
    list_agents: {
      prepare: () => ({ capability: 'x', status: 'active' }),
      check: (b) => expect(b.agents.map((a: any) => a.agent_id)).toContain(alpha.id),
    },
    get_agent: { prepare: () => ({ agent_id: bee.id }), check: (b) => expect(b.agent.agent_id).toBe(bee.id) },
    heartbeat: { prepare: () => ({ status: 'busy' }) },
    retire_agent: {
      // An agent retires itself; the admin retires anyone.
      async prepare() {
        const doomed = await t.register('Doomed', { agent_id: fresh('doomed') });
        doomedTokens.set(doomed.id, doomed.token);
        return { agent_id: doomed.id, reason: 'test' };
      },
      token: (input, who) => (who === 'agent' ? doomedTokens.get(input.agent_id as string) : undefined),
    },

    // ---------------------------------------------------------------- messages
    send_message: {
      prepare: () => ({
        to: bee.id,
        body: 'hi',
        type: 'request',
        subject: 's',
        importance: 'high',
        ttl_seconds: 60,
        idempotency_key: fresh('key'),
        reply_to: toBee.message_id,
      }),
    },
    check_inbox: { prepare: () => ({ since: '0', limit: 5, mark_read: false }) },
    wait_for_messages: { prepare: () => ({ timeout_seconds: 0, since: '0', limit: 5 }) },
    ack_message: { prepare: () => ({ message_ids: [m] }) },
    mark_read: { prepare: () => ({ message_ids: [m] }) },
    get_message: { prepare: () => ({ message_id: m }) },
    get_thread: { prepare: () => ({ thread_id: m }) },
    summarize_thread: {
      prepare: () => ({ thread_id: m, max_messages: 50, by_instance: shared, timeout_seconds: 20 }),
      check: (b) => expect(b.summary.text).toMatch(/^echo: Summarize the conversation thread/),
    },
    search_messages: { prepare: () => ({ query: 'hello' }) },
    get_delivery_settings: { prepare: () => ({}) },
    set_delivery_settings: {
      prepare: () => ({ min_importance: 'normal', types: ['request'], topics: null, max_batch: 5 }),
      check: (b) => expect(b.settings).toMatchObject({ min_importance: 'normal', max_batch: 5 }),
    },
    subscribe_topic: { prepare: () => ({ topic: 'news' }) },
    unsubscribe_topic: { prepare: () => ({ topic: 'other' }) },
    list_topics: { prepare: () => ({}) },

    // ---------------------------------------------------------------- tasks
    create_task: {
      prepare: () => ({ title: 'Write docs', description: 'd', priority: 1, required_capabilities: ['x'] }),
      check: (b) => expect(b.task.status).toBe('open'),
    },
    list_tasks: { prepare: () => ({ status: 'open', limit: 10 }) },
    get_task: { prepare: () => ({ task_id: finished }) },
    list_task_attempts: {
      prepare: () => ({ task_id: finished }),
      check: (b) =>
        expect(b.attempts).toEqual([expect.objectContaining({ attempt: 1, outcome: 'completed' })]),
    },
    claim_task: {
      prepare: async () => ({ task_id: await task() }),
      check: (b) => expect(b.task.status).toBe('claimed'),
    },
    update_task: {
      prepare: async () => ({ task_id: await claimed(), progress: 50, note: 'half way' }),
      check: (b) => expect(b.task.status).toBe('in_progress'),
    },
    complete_task: {
      prepare: async () => ({ task_id: await claimed(), result: { ok: 1 }, artifacts: [{ name: 'a.txt' }] }),
      check: (b) => expect(b.task.status).toBe('completed'),
    },
    fail_task: {
      prepare: async () => ({ task_id: await claimed(), reason: 'broken', retryable: false }),
      check: (b) => expect(b.task.status).toBe('failed'),
    },
    cancel_task: {
      prepare: async () => ({ task_id: await task(), reason: 'not needed' }),
      check: (b) => expect(b.task.status).toBe('cancelled'),
    },
    request_input: {
      prepare: async () => ({ task_id: await claimed(), question: 'which file?' }),
      check: (b) => expect(b.task.status).toBe('input_required'),
    },
    provide_input: {
      prepare: async () => ({ task_id: await waiting(), answer: 'that one' }),
      check: (b) => expect(b.task.status).toBe('in_progress'),
    },
    wait_for_task: {
      prepare: () => ({ task_id: finished, until: 'finished', timeout_seconds: 0, after_version: 0 }),
    },
    task_stats: { prepare: () => ({}) },

    // ---------------------------------------------------------------- context
    set_context: { prepare: () => ({ ...ctxScope, key: 'notes', value: { text: 'n' }, ttl_seconds: 3600 }) },
    get_context: { prepare: () => ({ ...ctxScope, key: 'shared' }) },
    list_context: { prepare: () => ({ ...ctxScope, prefix: 'sh', limit: 10 }) },
    delete_context: {
      async prepare() {
        const key = fresh('gone');
        await api('PUT', `/api/v1/context/project/${key}`, alpha.token, { ...ctxScope, value: 1 });
        return { ...ctxScope, key };
      },
    },
    context_history: { prepare: () => ({ ...ctxScope, key: 'shared', limit: 5 }) },
    // Since version 0: the current value answers at once.
    watch_context: { prepare: () => ({ ...ctxScope, key: 'shared', since_version: 0, timeout_seconds: 0 }) },
    // Subscriptions push to an agent: the admin has no inbox to push to.
    subscribe_context: { as: ['agent'], prepare: () => ({ ...ctxScope, key: 'shared' }) },
    unsubscribe_context: { as: ['agent'], prepare: () => ({ ...ctxScope, key: 'shared' }) },

    // ---------------------------------------------------------------- leases
    acquire_lease: {
      prepare: () => ({
        patterns: [`src/${fresh('area')}/**`, 'README.md'],
        mode: 'shared',
        ttl_seconds: 600,
        reason: 'r',
      }),
    },
    renew_lease: { prepare: () => ({ lease_id: heldLease, ttl_seconds: 3600 }) },
    release_lease: { prepare: async () => ({ lease_id: await lease() }) },
    list_leases: { prepare: () => ({ holder: alpha.id }) },
    check_paths: { prepare: () => ({ paths: ['docs/readme.md', 'src/index.ts'] }) },

    // ---------------------------------------------------------------- coordination
    request: {
      prepare: () => ({ to: bee.id, body: 'what is 6*7?', subject: 'q', timeout_seconds: ANSWER_SECONDS }),
      meanwhile: beeAnswers(
        (f) => f.type === 'message' && f.message?.type === 'request' && f.message?.body === 'what is 6*7?',
        (f) => api('POST', `/api/v1/requests/${f.message.message_id}/respond`, bee.token, { body: '42' }),
      ),
      check: (b) => expect(JSON.stringify(b)).toContain('42'),
    },
    respond: {
      // alpha answers a request bee sent it (bee's request waits without blocking: no timeout error).
      async prepare() {
        const asked = await api('POST', '/api/v1/messages', bee.token, {
          to: alpha.id,
          type: 'request',
          body: 'are you there?',
        });
        return { request_id: asked.message_id, body: 'yes' };
      },
    },
    start_vote: {
      prepare: () => ({
        proposal: 'ship it?',
        options: ['yes', 'no'],
        participants: [alpha.id, bee.id],
        rule: 'majority',
        deadline_seconds: 3600,
      }),
      check: (b) => expect(b.status).toBe('open'),
    },
    cast_vote: {
      prepare: async () => ({ vote_id: await vote([alpha.id, bee.id]), option: 'yes', comment: 'c' }),
    },
    get_vote: { prepare: () => ({ vote_id: openVote }) },
    list_votes: { prepare: () => ({ status: 'open', limit: 10 }) },
    wait_for_vote: { prepare: () => ({ vote_id: decidedVote, timeout_seconds: 0 }) },
    fan_out: {
      prepare: () => ({
        title: 'review',
        description: 'look',
        agents: [bee.id],
        timeout_seconds: ANSWER_SECONDS,
      }),
      meanwhile: beeWorks('review'),
      check: (b) => expect(b).toMatchObject({ met: true, timed_out: false }),
    },
    run_pipeline: {
      prepare: () => ({
        title: 'pipe',
        input: { n: 1 },
        stages: [{ agent: bee.id, instruction: 'do it', title: 'stage' }],
        timeout_seconds: ANSWER_SECONDS,
      }),
      meanwhile: beeWorks('stage'),
      check: (b) => expect(b.status).toBe('completed'),
    },

    // ---------------------------------------------------------------- instances
    spawn_instance: {
      prepare: () => ({ adapter: 'scripted', name: fresh('spawned'), script: SCRIPT }),
      check: (b) => expect(b.status).toBe('idle'),
      cleanup: (b) => stop(b.instance_id),
    },
    send_to_instance: {
      prepare: () => ({ instance_id: shared, message: 'ping', timeout_seconds: 20 }),
      check: (b) => expect(b).toMatchObject({ status: 'completed', text: 'echo: ping' }),
    },
    get_instance_output: { prepare: () => ({ instance_id: shared, limit: 10 }) },
    get_instance_status: { prepare: () => ({ instance_id: shared }) },
    list_instances: { prepare: () => ({ status: 'idle' }) },
    terminate_instance: {
      prepare: async () => ({ instance_id: await instance(), reason: 'done' }),
      check: (b) => expect(b.terminated[0].status).toBe('stopped'),
    },
    coordinate_instances: {
      prepare: () => ({ instance_ids: [shared], task: 'review', mode: 'parallel', timeout_seconds: 20 }),
      check: (b) => expect(b.status).toBe('completed'),
    },
    // Idle: nothing to interrupt, which it says.
    interrupt_instance: {
      prepare: () => ({ instance_id: shared }),
      check: (b) => expect(b.interrupted).toBe(false),
    },
    spawn_team: {
      prepare: () => ({ members: [{ name: fresh('member'), adapter: 'scripted', script: SCRIPT }] }),
      check: (b) => expect(b.instances.map((i: any) => i.status)).toEqual(['idle']),
      async cleanup(b) {
        for (const member of b.instances) await stop(member.instance_id);
      },
    },
    list_roles: { prepare: () => ({}) },

    // ---------------------------------------------------------------- gateway (admin)
    list_servers: { prepare: () => ({}) },
    server_health: { prepare: () => ({ name: 'fixture' }) },
    add_server: {
      prepare: () => ({ name: fresh('extra'), command: process.execPath, args: [FIXTURE, 'hostile-world'] }),
      async cleanup(b) {
        await api('DELETE', `/api/v1/gateway/servers/${b.server.name}`, t.adminToken);
      },
    },
    remove_server: {
      prepare: async () => ({ name: await addServer(fresh('doomed')) }),
      check: (b) => expect(b.removed).toMatch(/^doomed-/),
    },
    list_approvals: { prepare: () => ({ status: 'pending', limit: 10 }) },
    approve_call: {
      prepare: async () => ({ id: await pendingApproval(), reason: 'fine' }),
      check: (b) => expect(b.approval).toMatchObject({ status: 'approved', reason: 'fine' }),
    },
    deny_call: {
      prepare: async () => ({ id: await pendingApproval(), reason: 'no' }),
      check: (b) => expect(b.approval).toMatchObject({ status: 'denied', reason: 'no' }),
    },
    request_permission: {
      prepare: () => ({
        request_id: `p${++serial}`,
        tool_name: 'Bash',
        description: 'run ls',
        input_preview: '{"command":"ls"}',
      }),
      check: (b) => expect(b.approval).toMatchObject({ kind: 'permission', status: 'pending' }),
      cleanup: async (b) => void (await closePrompt(b.approval.id)),
    },
    // A prompt closed already: the wait answers at once, whatever timeout a fuzzed input asks for.
    wait_for_approval: {
      prepare: async () => {
        const id = await openPrompt();
        await closePrompt(id);
        return { id, timeout_seconds: 5 };
      },
      check: (b) => expect(b.approval.status).toBe('cancelled'),
    },
    close_permission_request: {
      prepare: async () => ({ id: await openPrompt(), reason: 'session ended' }),
      check: (b) => expect(b.approval).toMatchObject({ status: 'cancelled', reason: 'session ended' }),
    },
    grant_approvals: {
      prepare: () => ({ agent_id: bee.id }),
      check: (b) => expect(b.grant).toMatchObject({ agent_id: bee.id, granted_by: 'admin' }),
    },
    revoke_approvals: {
      prepare: async () => {
        await api('POST', '/api/v1/gateway/approval-grants', t.adminToken, { agent_id: bee.id });
        return { agent_id: bee.id };
      },
      check: (b) => expect(b.revoked).toBe(bee.id),
    },
    list_grants: {
      prepare: () => ({}),
      check: (b) => expect(b.grants.map((g: any) => g.agent_id)).toContain(alpha.id),
    },

    // ---------------------------------------------------------------- workflows
    run_workflow: {
      prepare: () => ({
        definition: { steps: [{ id: 'status', call: 'hub_status' }] },
        inputs: { a: 1 },
        wait: true,
        timeout_seconds: 10,
      }),
      check: (b) => expect(b.status).toBe('completed'),
    },
    get_workflow: { prepare: () => ({ run_id: done.run_id }) },
    list_workflows: { prepare: () => ({ status: 'completed', limit: 10 }) },
    cancel_workflow: {
      prepare: async () => ({ run_id: await hangingRun(), reason: 'changed my mind' }),
      check: (b) => expect(b.status).toBe('cancelled'),
    },

    // ---------------------------------------------------------------- system
    hub_status: { prepare: () => ({}) },
    list_nodes: { prepare: () => ({}) },

    // ---------------------------------------------------------------- analytics
    analytics_usage: {
      prepare: () => ({ project: 'default', role: 'worker', since: '2020-01-01T00:00:00Z' }),
      check: (b) => expect(Array.isArray(b.agents)).toBe(true),
    },
    analytics_history: {
      prepare: () => ({ bucket: 'day', until: '2100-01-01T00:00:00Z', threads_limit: 5 }),
      check: (b) => expect(b.bucket).toBe('day'),
    },
    analytics_tools: { prepare: () => ({}), check: (b) => expect(Array.isArray(b.operations)).toBe(true) },
    analytics_insights: {
      prepare: () => ({ limit: 5 }),
      check: (b) => expect(Array.isArray(b.findings)).toBe(true),
    },
    analytics_performance: {
      prepare: () => ({ bucket: 'minute', since: '2020-01-01T00:00:00Z', capability: 'code' }),
      check: (b) => expect(typeof b.metrics.delivery.count).toBe('number'),
    },
    analytics_engagement: {
      prepare: () => ({ bucket: 'day', project: 'default' }),
      check: (b) => expect(Array.isArray(b.active_agents.series)).toBe(true),
    },
    analytics_rebuild: { prepare: () => ({}), check: (b) => expect(typeof b.messages).toBe('number') },

    // ---------------------------------------------------------------- communication graph
    get_communication_graph: {
      prepare: () => ({ project: 'default', since: '2020-01-01T00:00:00Z' }),
      check: (b) => expect(b.nodes.length).toBeGreaterThan(0),
    },
    detect_patterns: { prepare: () => ({}), check: (b) => expect(Array.isArray(b.patterns)).toBe(true) },
    find_route: {
      prepare: () => ({ from: alpha.id, to: bee.id }),
      check: (b) => expect(b.path).toEqual([alpha.id, bee.id]),
    },
    recommend_agents: {
      prepare: () => ({ capability: 'x', for_agent: alpha.id, limit: 5 }),
      check: (b) => expect(b.agents.map((a: { agent_id: string }) => a.agent_id)).toContain(bee.id),
    },
  };

  /**
   * Background work a successful call may leave running: an instance starting, working or stopping
   * (and its agent retired once it ended), a workflow run going on (but for the ones hanging on
   * purpose). Waited out before each fingerprint, so a change seen across a rejected call is its own.
   */
  const settle = async () => {
    const busySql = `SELECT COUNT(*) AS n FROM instances i LEFT JOIN agents a ON a.id = i.agent_id
       WHERE i.status IN ('starting', 'busy', 'stopping')
          OR (i.status IN ('stopped', 'failed') AND a.retired_at IS NULL)`;
    const runningSql = `SELECT id FROM workflow_runs WHERE status = 'running'`;
    await until('the hub to settle', async () => {
      const [busy] = await stored<{ n: number | string }>(t, { sqlite: busySql, postgres: busySql });
      const running = await stored<{ id: string }>(t, { sqlite: runningSql, postgres: runningSql });
      return Number(busy!.n) === 0 && running.every((r) => hanging.has(r.id));
    });
  };

  return {
    t,
    alpha,
    bee,
    beeSocket,
    cases,
    settle,
    async close() {
      for (const client of clients) await client.close().catch(() => undefined);
      await Promise.all(held);
      await beeSocket.close();
    },
  };
}
