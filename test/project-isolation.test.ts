/**
 * Project isolation: an agent token of project alpha sees nothing of project beta — no agent, message,
 * task, instance, workflow run, lease, vote, context key or figure — on any operation the dashboard
 * uses (REST, MCP, WebSocket calls) nor on the live streams (SSE `/api/v1/events`, WebSocket frames);
 * the admin sees both. With `auth.anonymousDirectory` off, a caller without a token gets a 401 from the
 * agent directory and the SSE stream; unset, that follows the bind address. Needs `npm run build`
 * (the scripted instance runs `dist/`).
 */
import { describe, expect, it } from 'vitest';
import { connect2026, structured, textOf } from './mcp-clients.js';
import { hubPerTest, type TestHub } from './helpers/hub.js';
import { spawnScripted } from './helpers/instances.js';
import { WsClient } from './ws-resume-client.js';

let t: TestHub | undefined;
const cleanups: Array<() => Promise<unknown> | unknown> = [];
const hubs = hubPerTest(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const ALPHA = 'alpha';
const BETA = 'beta-proj';
/** Every beta id and text carries this, so one substring check finds any leak. */
const B = 'beta-';
const SCRIPT = { default: { reply: { template: 'echo: {{input}}' } } };

type Agent = { id: string; token: string };

async function registerAs(hub: TestHub, agent_id: string, project: string): Promise<Agent> {
  const res = await hub.api('POST', '/api/v1/agents/register', {
    body: { agent_id, name: agent_id, project, capabilities: ['work'] },
  });
  if (res.status !== 200) throw new Error(`register ${agent_id}: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: agent_id, token: res.body.token };
}

/** Calls an operation over REST (`POST /api/v1/ops/<name>`), failing on anything but 2xx. */
async function op(hub: TestHub, token: string, name: string, input: Record<string, unknown> = {}) {
  const res = await hub.api('POST', `/api/v1/ops/${name}`, { token, body: input });
  if (res.status >= 300) throw new Error(`${name}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Two projects, each with agents, a thread, a task, a lease, a vote, a context key; beta also an instance and a workflow run. */
async function twoProjects(hub: TestHub) {
  const viewer = await registerAs(hub, 'alpha-viewer', ALPHA);
  const peer = await registerAs(hub, 'alpha-peer', ALPHA);
  const b1 = await registerAs(hub, 'beta-one', BETA);
  const b2 = await registerAs(hub, 'beta-two', BETA);

  const alphaMsg = await op(hub, peer.token, 'send_message', {
    to: viewer.id,
    subject: 'alpha plans',
    body: 'the secret alpha plan',
  });
  await op(hub, viewer.token, 'send_message', {
    to: peer.id,
    body: 'alpha reply, secret too',
    thread_id: alphaMsg.thread_id,
  });
  const betaMsg = await op(hub, b1.token, 'send_message', {
    to: b2.id,
    subject: 'beta-subject',
    body: 'beta-body: the secret beta plan',
  });
  await op(hub, b1.token, 'send_message', { to: 'ALL', body: 'beta-broadcast secret' });
  await op(hub, b2.token, 'ack_message', { message_ids: [betaMsg.message_id] });

  const alphaTask = (
    await op(hub, viewer.token, 'create_task', { title: 'alpha task', required_capabilities: ['work'] })
  ).task;
  const betaTask = (
    await op(hub, b1.token, 'create_task', { title: 'beta-task', required_capabilities: ['work'] })
  ).task;
  await op(hub, b2.token, 'claim_task', { task_id: betaTask.task_id });

  await op(hub, viewer.token, 'acquire_lease', { patterns: ['alpha/**'], mode: 'exclusive', reason: 'a' });
  const betaLease = await op(hub, b1.token, 'acquire_lease', {
    patterns: ['beta-dir/**'],
    mode: 'exclusive',
    reason: 'beta-reason',
  });

  await op(hub, viewer.token, 'start_vote', {
    proposal: 'alpha vote?',
    options: ['yes', 'no'],
    participants: [viewer.id, peer.id],
    rule: 'majority',
    deadline_seconds: 3600,
  });
  const betaVote = await op(hub, b1.token, 'start_vote', {
    proposal: 'beta-proposal?',
    options: ['yes', 'no'],
    participants: [b1.id, b2.id],
    rule: 'majority',
    deadline_seconds: 3600,
  });

  await op(hub, viewer.token, 'set_context', { scope: 'project', key: 'alpha-notes', value: 'alpha' });
  await op(hub, b1.token, 'set_context', { scope: 'project', key: 'beta-notes', value: 'beta-value' });

  const betaInstance = await spawnScripted(hub, b1.token, SCRIPT, { name: 'beta-instance' });
  const betaRun = await op(hub, b1.token, 'run_workflow', {
    definition: { steps: [{ id: 'beta-step', call: 'hub_status' }] },
    wait: true,
    timeout_seconds: 10,
  });
  expect(betaRun.status).toBe('completed');

  return {
    viewer,
    peer,
    b1,
    b2,
    alpha: { thread: alphaMsg.thread_id as string, message: alphaMsg.message_id as string, task: alphaTask },
    beta: {
      message: betaMsg.message_id as string,
      thread: betaMsg.thread_id as string,
      task: betaTask.task_id as string,
      lease: betaLease.lease_id as string,
      vote: betaVote.vote_id as string,
      instance: betaInstance.instance_id as string,
      run: betaRun.run_id as string,
    },
  };
}

/** Fails naming the first beta id or text found in an answer. */
function expectNothingOfBeta(what: string, answer: unknown): void {
  const text = JSON.stringify(answer);
  const at = text.indexOf(B);
  expect(at, `${what} shows beta: …${text.slice(Math.max(0, at - 80), at + 80)}…`).toBe(-1);
  expect(text, what).not.toContain(BETA);
}

/** A Server-Sent Events reader that records every event and can wait for one. */
async function openEvents(url: string, token?: string) {
  const controller = new AbortController();
  const res = await fetch(`${url}/api/v1/events`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    signal: controller.signal,
  });
  const events: Array<{ event: string; data: any }> = [];
  let connected = false;
  const wake = new Set<() => void>();
  const pump = (async () => {
    if (res.status !== 200) return;
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (block.startsWith(': connected')) connected = true;
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
      for (const w of [...wake]) w();
    }
  })().catch(() => undefined);
  const until = (check: () => boolean, what: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        wake.delete(attempt);
        reject(new Error(`SSE: gave up waiting for ${what}; got ${JSON.stringify(events).slice(0, 600)}`));
      }, 10_000);
      const attempt = () => {
        if (!check()) return;
        clearTimeout(timer);
        wake.delete(attempt);
        resolve();
      };
      wake.add(attempt);
      attempt();
    });
  const close = async () => {
    controller.abort();
    await pump;
  };
  cleanups.push(close);
  return {
    status: res.status,
    body: (res.status === 200 ? undefined : await res.json()) as any,
    events,
    ready: () => until(() => connected, 'the connected comment'),
    until,
    close,
  };
}

describe('project isolation for an agent token', () => {
  it('every read operation the dashboard uses shows alpha only, over REST; the admin sees both', async () => {
    t = await hubs.start({ rateLimit: { enabled: false }, analytics: { cacheSeconds: 0 } });
    const w = await twoProjects(t);
    const me = w.viewer.token;
    const alphaIds = [w.peer.id, w.viewer.id];

    // The directory: alpha's agents only; another project's agent is unknown; naming beta is refused.
    const listed = await op(t, me, 'list_agents', {});
    expect(listed.agents.map((a: any) => a.agent_id).sort()).toEqual(alphaIds);
    expect(listed.total).toBe(2);
    const rest = await t.api('GET', '/api/v1/agents?include_retired=true', { token: me });
    expect(rest.body.agents.map((a: any) => a.agent_id).sort()).toEqual(alphaIds);
    const other = await t.api('GET', `/api/v1/agents?project=${BETA}`, { token: me });
    expect(other.status).toBe(403);
    expect(other.body.error.message).toContain('agents see their own project (alpha) only');
    expect((await t.api('GET', `/api/v1/agents/${w.peer.id}`, { token: me })).body.agent.project).toBe(ALPHA);
    const hidden = await t.api('GET', `/api/v1/agents/${w.b1.id}`, { token: me });
    const unknown = await t.api('GET', '/api/v1/agents/nobody-at-all', { token: me });
    expect(hidden.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(hidden.body.error.message).toBe(unknown.body.error.message.replace('nobody-at-all', w.b1.id));
    // Retiring another agent is refused; another project's answers as if unknown, so it tells nothing.
    const retireOther = (id: string) => t!.api('DELETE', `/api/v1/agents/${id}`, { token: me });
    expect((await retireOther(w.peer.id)).status).toBe(403);
    const retireBeta = await retireOther(w.b1.id);
    expect(retireBeta.status).toBe(404);
    expect(retireBeta.body.error.message).toBe(
      (await retireOther('nobody-at-all')).body.error.message.replace('nobody-at-all', w.b1.id),
    );
    // hub_status: the counts of alpha's agents.
    const status = await op(t, me, 'hub_status');
    expect(Object.values(status.agents).reduce((a: number, b) => a + (b as number), 0)).toBe(2);

    // Messages: search, a message, a thread, the inbox.
    const found = await op(t, me, 'search_messages', { query: 'secret' });
    expect(found.messages.length).toBe(2);
    expectNothingOfBeta('search_messages', found);
    expect((await t.api('GET', `/api/v1/messages/${w.beta.message}`, { token: me })).status).toBe(404);
    expect((await t.api('GET', `/api/v1/threads/${w.beta.thread}`, { token: me })).status).toBe(404);
    expect((await op(t, me, 'get_thread', { thread_id: w.alpha.thread })).messages.length).toBe(2);
    const inbox = await op(t, me, 'check_inbox', { since: '0', mark_read: false });
    expect(inbox.messages.map((m: any) => m.subject)).toEqual(['alpha plans']);

    // Tasks, instances, workflows, leases, votes, context.
    const tasks = await op(t, me, 'list_tasks', {});
    expect(tasks.tasks.map((x: any) => x.title)).toEqual(['alpha task']);
    expect((await t.api('GET', `/api/v1/tasks/${w.beta.task}`, { token: me })).status).toBe(404);
    expectNothingOfBeta('task_stats', await op(t, me, 'task_stats', {}));
    expect((await op(t, me, 'list_instances', {})).instances).toEqual([]);
    expect((await t.api('GET', `/api/v1/instances/${w.beta.instance}`, { token: me })).status).toBe(404);
    expect((await t.api('GET', `/api/v1/instances/${w.beta.instance}/output`, { token: me })).status).toBe(
      404,
    );
    expect((await op(t, me, 'list_workflows', {})).runs).toEqual([]);
    expect((await t.api('GET', `/api/v1/workflows/${w.beta.run}`, { token: me })).status).toBe(404);
    const leases = await op(t, me, 'list_leases', {});
    expect(leases.leases.map((l: any) => l.patterns)).toEqual([['alpha/**']]);
    expect((await t.api('GET', `/api/v1/leases?project=${BETA}`, { token: me })).status).toBe(403);
    const checked = await op(t, me, 'check_paths', { paths: ['beta-dir/x.ts', 'alpha/x.ts'] });
    expect(checked.paths.map((p: any) => [p.path, p.leases.length])).toEqual([
      ['beta-dir/x.ts', 0],
      ['alpha/x.ts', 1],
    ]);
    const votes = await op(t, me, 'list_votes', {});
    expect(votes.votes.map((v: any) => v.proposal)).toEqual(['alpha vote?']);
    expect((await t.api('GET', `/api/v1/votes/${w.beta.vote}`, { token: me })).status).toBe(404);
    const keys = await op(t, me, 'list_context', { scope: 'project' });
    expect(keys.entries.map((k: any) => k.key)).toEqual(['alpha-notes']);
    const betaKey = await t.api('GET', `/api/v1/context/project/beta-notes?scope_id=${BETA}`, { token: me });
    expect(betaKey.status).toBe(403);

    // The gateway's lists are the admin's.
    for (const name of ['list_servers', 'server_health', 'list_approvals'])
      expect((await t.api('POST', `/api/v1/ops/${name}`, { token: me, body: {} })).status).toBe(403);

    // Analytics: once the rollups hold beta's traffic (the admin sees it), alpha still sees none of it.
    await expect
      .poll(async () => JSON.stringify(await op(t!, t!.adminToken, 'analytics_usage', {})), {
        timeout: 10_000,
      })
      .toContain(w.b1.id);
    const usage = await op(t, me, 'analytics_usage', {});
    expect(usage.agents.map((a: any) => a.agent_id).sort()).toEqual(alphaIds);
    expectNothingOfBeta('analytics_usage', usage);
    expectNothingOfBeta('analytics_history', await op(t, me, 'analytics_history', { bucket: 'minute' }));
    expectNothingOfBeta('analytics_tools', await op(t, me, 'analytics_tools', {}));
    expect((await t.api('GET', `/api/v1/analytics/usage?project=${BETA}`, { token: me })).status).toBe(403);

    // Everything above answered the same way for the page's typed client; every answer together, once more:
    for (const [name, input] of [
      ['whoami', {}],
      ['list_topics', {}],
      ['list_agents', { include_retired: true }],
      ['hub_status', {}],
      ['search_messages', { query: 'beta' }],
      ['check_inbox', { since: '0', mark_read: false }],
      ['list_tasks', { status: ['open', 'claimed', 'completed'] }],
      ['list_instances', {}],
      ['list_workflows', {}],
      ['list_leases', {}],
      ['list_votes', {}],
      ['list_context', { scope: 'project' }],
    ] as const)
      expectNothingOfBeta(name, await op(t, me, name, input));

    // The admin sees both projects.
    const all = await op(t, t.adminToken, 'list_agents', {});
    expect(all.agents.map((a: any) => a.project)).toEqual(expect.arrayContaining([ALPHA, BETA]));
    expect((await t.api('GET', `/api/v1/agents/${w.b1.id}`, { token: t.adminToken })).status).toBe(200);
    expect((await t.api('GET', `/api/v1/tasks/${w.beta.task}`, { token: t.adminToken })).status).toBe(200);
    const adminStatus = await op(t, t.adminToken, 'hub_status');
    expect(Object.values(adminStatus.agents).reduce((a: number, b) => a + (b as number), 0)).toBe(all.total);
    expect(all.total).toBeGreaterThan(4); // the four, and beta's instance agent
  });

  it('over MCP and WebSocket calls too', async () => {
    t = await hubs.start({ rateLimit: { enabled: false } });
    const w = await twoProjects(t);
    const client = await connect2026(t.url, { token: w.viewer.token });
    cleanups.push(() => client.close());
    const tool = async (name: string, args: Record<string, unknown> = {}) =>
      client.callTool({ name, arguments: args });

    const listed = structured(await tool('list_agents'));
    expect(listed.agents.map((a: any) => a.agent_id).sort()).toEqual([w.peer.id, w.viewer.id]);
    const refused = await tool('list_agents', { project: BETA });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain('agents see their own project (alpha) only');
    const hidden = await tool('get_agent', { agent_id: w.b1.id });
    expect(hidden.isError).toBe(true);
    expect(textOf(hidden)).toContain('not found');
    for (const [name, args] of [
      ['hub_status', {}],
      ['search_messages', { query: 'secret' }],
      ['list_tasks', {}],
      ['list_instances', {}],
      ['list_leases', {}],
      ['list_votes', {}],
    ] as const)
      expectNothingOfBeta(`MCP ${name}`, structured(await tool(name, args)));
    for (const [name, args] of [
      ['get_task', { task_id: w.beta.task }],
      ['get_message', { message_id: w.beta.message }],
      ['get_thread', { thread_id: w.beta.thread }],
      ['summarize_thread', { thread_id: w.beta.thread }],
      ['get_instance_status', { instance_id: w.beta.instance }],
      ['get_workflow', { run_id: w.beta.run }],
      ['get_vote', { vote_id: w.beta.vote }],
    ] as const) {
      const answer = await tool(name, args);
      expect(answer.isError, name).toBe(true);
      expect(textOf(answer), name).toMatch(/^not_found: /);
    }
    // The agents resource reads through list_agents.
    const resource = await client.readResource({ uri: 'switchboard://agents' });
    const text = (resource.contents[0] as { text: string }).text;
    expect(
      JSON.parse(text)
        .agents.map((a: any) => a.agent_id)
        .sort(),
    ).toEqual([w.peer.id, w.viewer.id]);

    // A WebSocket's call frames run the same operations.
    const ws = await WsClient.connect(t.url, w.viewer.id, { token: w.viewer.token });
    cleanups.push(() => ws.close());
    const viaWs = await ws.call({ type: 'call', op: 'list_agents', input: {} }, 'w1');
    expect(viaWs.agents.map((a: any) => a.agent_id).sort()).toEqual([w.peer.id, w.viewer.id]);
    await expect(
      ws.call({ type: 'call', op: 'get_agent', input: { agent_id: w.b1.id } }, 'w2'),
    ).rejects.toMatchObject({ frame: { error: { code: 'not_found' } } });
  });

  it('the live streams (SSE and WebSocket) carry nothing of another project; the admin stream carries both', async () => {
    t = await hubs.start({ rateLimit: { enabled: false } });
    const viewer = await registerAs(t, 'alpha-viewer', ALPHA);
    const peer = await registerAs(t, 'alpha-peer', ALPHA);
    const b1 = await registerAs(t, 'beta-one', BETA);
    const b2 = await registerAs(t, 'beta-two', BETA);

    const mine = await openEvents(t.url, viewer.token);
    const admin = await openEvents(t.url, t.adminToken);
    const ws = await WsClient.connect(t.url, viewer.id, { token: viewer.token });
    cleanups.push(() => ws.close());
    await Promise.all([mine.ready(), admin.ready()]);

    // Beta lives its life: a newcomer, a status change, messages, a task, an ack, a retirement.
    const late = await registerAs(t, 'beta-late', BETA);
    await op(t, b1.token, 'heartbeat', { status: 'busy' });
    const sent = await op(t, b1.token, 'send_message', { to: 'ALL', body: 'beta-news' });
    await op(t, b2.token, 'ack_message', { message_ids: [sent.message_id] });
    await op(t, late.token, 'subscribe_topic', { topic: 'beta-topic' });
    await op(t, b1.token, 'create_task', { title: 'beta-task', required_capabilities: ['work'] });
    await op(t, b2.token, 'retire_agent', { agent_id: b2.id });

    // Alpha's own happenings are the fence: once they arrived, beta's (earlier) would have too.
    await op(t, peer.token, 'heartbeat', { status: 'busy' });
    await registerAs(t, 'alpha-fence', ALPHA);
    await op(t, peer.token, 'send_message', { to: viewer.id, body: 'alpha fence message' });
    await mine.until(
      () =>
        mine.events.some((e) => e.event === 'agent.registered' && e.data.agent.agent_id === 'alpha-fence'),
      'the alpha fence registration',
    );
    await mine.until(
      () => mine.events.some((e) => e.event === 'message' && e.data.message.body === 'alpha fence message'),
      'the alpha fence message',
    );
    await ws.waitFor((f) => f.type === 'message' && f.message.body === 'alpha fence message');
    await admin.until(
      () =>
        admin.events.some((e) => e.event === 'agent.registered' && e.data.agent.agent_id === 'alpha-fence'),
      'the admin fence',
    );

    // The alpha stream got its own project's presence, and nothing of beta.
    expect(mine.events.map((e) => e.event)).toEqual(['agent.status', 'agent.registered', 'message']);
    expect(mine.events[0].data).toMatchObject({ agent_id: peer.id, project: ALPHA, status: 'busy' });
    expectNothingOfBeta('the alpha SSE stream', mine.events);
    expectNothingOfBeta('the alpha WebSocket', ws.frames);
    expect(ws.frames.map((f) => f.type)).toEqual(['ready', 'message']);

    // The admin's stream had all of it, so the beta events did happen before the fence.
    const adminTypes = admin.events.filter((e) => JSON.stringify(e.data).includes(B)).map((e) => e.event);
    for (const type of [
      'agent.registered',
      'agent.status',
      'message.sent',
      'ack',
      'topic.subscribed',
      'task.created',
      'agent.retired',
    ])
      expect(adminTypes).toContain(type);
    expect(admin.events.find((e) => e.event === 'agent.retired')?.data).toMatchObject({
      agent_id: b2.id,
      project: BETA,
    });
  });
});

describe('the anonymous directory (auth.anonymousDirectory)', () => {
  it('off: a caller without a token gets 401 from list_agents, get_agent and the SSE stream', async () => {
    t = await hubs.start({ auth: { anonymousDirectory: false } });
    const a = await registerAs(t, 'alpha-one', ALPHA); // registration stays open
    const rule = 'this hub requires a token for its agent directory (auth.anonymousDirectory)';
    for (const path of ['/api/v1/agents', `/api/v1/agents/${a.id}`, '/api/v1/agents/nobody']) {
      const res = await t.api('GET', path);
      expect(res.status, path).toBe(401);
      expect(res.body.error.message, path).toContain(rule);
    }
    const stream = await openEvents(t.url);
    expect(stream.status).toBe(401);
    expect(stream.body.error.message).toContain(rule);
    // hub_status stays public for health checks, without agent counts.
    const status = await t.api('GET', '/api/v1/status');
    expect(status.status).toBe(200);
    expect(status.body.agents).toEqual({});
    // MCP: the agents resource and list_agents answer the same.
    const client = await connect2026(t.url);
    cleanups.push(() => client.close());
    await expect(client.readResource({ uri: 'switchboard://agents' })).rejects.toThrow(rule);
    const tool = await client.callTool({ name: 'list_agents', arguments: {} });
    expect(tool.isError).toBe(true);
    expect(textOf(tool)).toContain(rule);
    // A token opens it: the agent sees its project, the admin everything.
    expect((await t.api('GET', '/api/v1/agents', { token: a.token })).body.total).toBe(1);
    expect((await t.api('GET', '/api/v1/agents', { token: t.adminToken })).body.total).toBe(1);
    const withToken = await openEvents(t.url, a.token);
    expect(withToken.status).toBe(200);
  });

  it('unset: open on a loopback hub, closed on one bound to every address', async () => {
    t = await hubs.start();
    await registerAs(t, 'alpha-one', ALPHA);
    expect((await t.api('GET', '/api/v1/agents')).body.total).toBe(1);
    await t.close();

    t = await hubs.start({ host: '0.0.0.0' });
    const a = await registerAs(t, 'alpha-one', ALPHA);
    expect((await t.api('GET', '/api/v1/agents')).status).toBe(401);
    expect((await t.api('GET', '/api/v1/agents', { token: a.token })).status).toBe(200);
    await t.close();

    t = await hubs.start({ host: '0.0.0.0', auth: { anonymousDirectory: true } });
    await registerAs(t, 'alpha-one', ALPHA);
    expect((await t.api('GET', '/api/v1/agents')).body.total).toBe(1);
  });
});
