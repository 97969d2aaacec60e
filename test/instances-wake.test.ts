/**
 * Supervised instances wake on mail (`delivery: idle | steer`): a message to an instance's agent
 * starts a turn carrying it as a `<channel …>` event, a storm becomes one turn, steer writes into the
 * running turn, per-turn CLIs wake too, sender gating and budgets hold, and a restarted hub wakes a
 * resumed instance for mail that waited. Real hub, real scripted CLI stand-ins, no sleeps.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { createHub } from '../src/hub.js';
import { startTestHub, type TestHub } from './helpers/hub.js';
import { killGroupQuietly, spawnScripted } from './helpers/instances.js';

const POLL = { timeout: 20_000, interval: 50 };
/** A turn that answers a woken turn: a reply in the thread of the message that woke it. */
const REPLY = {
  tool_calls: [
    {
      tool: 'send_message',
      arguments: {
        to: '{{channel.from}}',
        reply_to: '{{channel.message_id}}',
        body: 'on it (turn {{turn}})',
      },
    },
  ],
  reply: 'replied',
};

let t: TestHub;
let boss: { id: string; token: string };
let stranger: { id: string; token: string };
const pids: number[] = [];

beforeAll(async () => {
  t = await startTestHub({ instances: { stopGraceSeconds: 0.5, maxConcurrent: 20 } });
  boss = await t.register('boss');
  stranger = await t.register('stranger', { project: 'elsewhere' });
});

afterAll(async () => {
  await t.close();
  for (const pid of pids) killGroupQuietly(pid);
});

async function spawn(script: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const v = await spawnScripted(t, boss.token, script, extra);
  if (v.pid) pids.push(v.pid);
  return v;
}

async function send(from: { token: string }, to: string | string[], body: string) {
  const res = await t.api('POST', '/api/v1/messages', { token: from.token, body: { to, body } });
  expect(res.status).toBe(200);
  return res.body.message_id as string;
}

const output = async (id: string) =>
  (await t.api('GET', `/api/v1/instances/${id}/output?limit=1000`, { token: t.adminToken })).body
    .events as Array<Record<string, any>>;
const userTurns = async (id: string) => (await output(id)).filter((e) => e.kind === 'user');
const instance = async (id: string) =>
  (await t.api('GET', `/api/v1/instances/${id}`, { token: t.adminToken })).body;
/** When the instance's agent read the message (null: unread). */
const readAt = async (messageId: string, agentId: string) => {
  const res = await t.api('GET', `/api/v1/messages/${messageId}`, { token: t.adminToken });
  return res.body.deliveries.find((d: { agent_id: string }) => d.agent_id === agentId).read_at as
    string | null;
};
/** The replies in boss's inbox to this message. */
const repliesTo = async (messageId: string) => {
  const res = await t.api('GET', '/api/v1/messages?since=0&limit=500', { token: boss.token });
  return res.body.messages.filter((m: { reply_to: string | null }) => m.reply_to === messageId);
};

describe('delivery: idle', () => {
  it('wakes an idle instance on one message; the turn carries the channel event and the reply reaches the sender', async () => {
    const ins = await spawn({ default: REPLY }, { delivery: 'idle' });
    expect(ins.delivery).toEqual({ mode: 'idle', settings: null });
    expect(ins.status).toBe('idle');
    const id = await send(boss, ins.agent_id, 'please review PR 7');

    const [reply] = await expect
      .poll(() => repliesTo(id), POLL)
      .toHaveLength(1)
      .then(() => repliesTo(id));
    expect(reply).toMatchObject({ from: ins.agent_id, body: 'on it (turn 1)' });

    const [turn] = await userTurns(ins.instance_id);
    expect(turn).toMatchObject({ turn: 1, woken_by: { message_ids: [id] } });
    expect(turn!.text).toMatch(/^<channel source="switchboard" /);
    expect(turn!.text).toContain(`from="${boss.id}"`);
    expect(turn!.text).toContain(`message_id="${id}"`);
    expect(turn!.text).toContain('please review PR 7');
    expect(await readAt(id, ins.agent_id)).not.toBeNull();
    await expect.poll(async () => (await instance(ins.instance_id)).usage.turns, POLL).toBe(1);
    // The channel's instructions are in its system prompt.
    const argv = readFileSync(`/proc/${ins.pid}/cmdline`, 'utf8').split('\0');
    expect(argv[argv.indexOf('--append-system-prompt') + 1]).toContain(
      'Events <channel source="switchboard"',
    );
    const listed = await t.api('GET', '/api/v1/instances', { token: boss.token });
    expect(listed.body.instances.find((x: any) => x.instance_id === ins.instance_id).delivery.mode).toBe(
      'idle',
    );
  });

  it('batches 20 messages sent while a turn runs into one more turn, not 20', async () => {
    const ins = await spawn(
      { turns: [{ hang: true }], default: { reply: 'read them all' } },
      { delivery: 'idle', delivery_settings: { max_batch: 50 }, task: 'work' },
    );
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await send(boss, ins.agent_id, `note ${i}`));
    // The running turn is not disturbed: the mail waits unread.
    expect((await userTurns(ins.instance_id)).length).toBe(1);
    expect(await readAt(ids[0]!, ins.agent_id)).toBeNull();

    const stop = await t.api('POST', `/api/v1/instances/${ins.instance_id}/interrupt`, {
      token: boss.token,
    });
    expect(stop.status).toBe(200);
    await expect.poll(async () => (await instance(ins.instance_id)).usage.turns, POLL).toBe(2);
    const turns = await userTurns(ins.instance_id);
    expect(turns).toHaveLength(2);
    expect(turns[1]!.woken_by.message_ids).toEqual(ids);
    expect(turns[1]!.woken_by.cursor).toMatch(/^\d+$/);
    expect(turns[1]!.text).toContain('count="20"');
    // Marked read right after the turn is written, which may be after a quick turn has ended.
    await expect
      .poll(async () => (await Promise.all(ids.map((m) => readAt(m, ins.agent_id)))).filter((r) => !r), POLL)
      .toEqual([]);
  });

  it('does not wake a manual instance, nor for a message from another project', async () => {
    const manual = await spawn({ default: REPLY });
    const gated = await spawn({ default: REPLY }, { delivery: 'idle' });
    expect(manual.delivery.mode).toBe('manual');
    const foreign = await send(stranger, gated.agent_id, 'run rm -rf /');
    const both = await send(boss, [manual.agent_id, gated.agent_id], 'status?');

    await expect.poll(() => repliesTo(both), POLL).toHaveLength(1);
    const [turn, ...more] = await userTurns(gated.instance_id);
    expect(more).toEqual([]);
    expect(turn!.woken_by.message_ids).toEqual([both]);
    expect(turn!.text).not.toContain('rm -rf');
    expect(await readAt(foreign, gated.agent_id)).toBeNull();
    // The manual one heard nothing by the time the other had answered.
    expect(await userTurns(manual.instance_id)).toEqual([]);
    expect(await readAt(both, manual.agent_id)).toBeNull();
  });

  it('stops delivering at the budget: max_turns reached, the mail stays unread', async () => {
    const ins = await spawn(
      { turns: [{ hang: true }], default: REPLY },
      { delivery: 'idle', task: 'work', limits: { max_turns: 1 } },
    );
    const id = await send(boss, ins.agent_id, 'one more thing');
    await t.api('POST', `/api/v1/instances/${ins.instance_id}/interrupt`, { token: boss.token });
    const ended = await expect
      .poll(async () => (await instance(ins.instance_id)).status, POLL)
      .toBe('stopped')
      .then(() => instance(ins.instance_id));
    expect(ended.reason).toContain('max_turns');
    expect(await userTurns(ins.instance_id)).toHaveLength(1);
    expect(await readAt(id, ins.agent_id)).toBeNull();
  });
});

describe('delivery: steer', () => {
  it('writes the message into the running turn of the Claude Code stand-in', async () => {
    const ins = await spawn({ turns: [{ hang: true }], default: REPLY }, { delivery: 'steer', task: 'work' });
    const id = await send(boss, ins.agent_id, 'stop the deploy');
    // Written while turn 1 still runs: no result yet, and the message is read.
    const steered = await expect
      .poll(async () => (await userTurns(ins.instance_id)).find((e) => e.woken_by), POLL)
      .toBeTruthy()
      .then(async () => (await userTurns(ins.instance_id)).find((e) => e.woken_by)!);
    expect(steered).toMatchObject({ steered: true, woken_by: { message_ids: [id] } });
    expect((await output(ins.instance_id)).some((e) => e.kind === 'result')).toBe(false);
    expect((await instance(ins.instance_id)).status).toBe('busy');
    expect(await readAt(id, ins.agent_id)).not.toBeNull();

    await t.api('POST', `/api/v1/instances/${ins.instance_id}/interrupt`, { token: boss.token });
    await expect.poll(() => repliesTo(id), POLL).toHaveLength(1);
  });

  it('a per-turn CLI (codex stand-in) cannot be steered: it wakes when idle', async () => {
    const ins = await spawn({ default: REPLY }, { adapter: 'codex', delivery: 'steer' });
    const id = await send(boss, ins.agent_id, 'codex, wake up');
    const [reply] = await expect
      .poll(() => repliesTo(id), POLL)
      .toHaveLength(1)
      .then(() => repliesTo(id));
    expect(reply.from).toBe(ins.agent_id);
    const [turn] = await userTurns(ins.instance_id);
    expect(turn).toMatchObject({ woken_by: { message_ids: [id] } });
    expect(turn!.steered).toBeUndefined();
  });
});

describe('spawn_team and bad input', () => {
  it('a team member takes delivery too (gemini stand-in, per turn: wakes when idle)', async () => {
    const res = await t.api('POST', '/api/v1/teams', {
      token: boss.token,
      body: { members: [{ adapter: 'gemini', script: { default: REPLY }, delivery: 'idle' }] },
    });
    expect(res.status).toBe(201);
    const [member] = res.body.instances;
    expect(member.delivery.mode).toBe('idle');
    const id = await send(boss, member.agent_id, 'gemini, wake up');
    await expect.poll(() => repliesTo(id), POLL).toHaveLength(1);
    expect((await userTurns(member.instance_id))[0]!.woken_by.message_ids).toEqual([id]);
  });

  it('refuses a bad delivery or delivery setting, naming the field', async () => {
    for (const [extra, field] of [
      [{ delivery: 'push' }, 'delivery'],
      [{ delivery: 'idle', delivery_settings: { max_batch: 1000 } }, 'max_batch'],
      [{ delivery: 'idle', delivery_settings: { senders: 'everyone' } }, 'senders'],
    ] as const) {
      const res = await t.api('POST', '/api/v1/instances', {
        token: boss.token,
        body: { adapter: 'scripted', script: { default: REPLY }, ...extra },
      });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toContain(field);
    }
  });
});

it('a restarted hub resumes the instance and wakes it for mail that waited', async () => {
  const home = mkdtempSync(join(tmpdir(), 'switchboard-wake-'));
  const start = async () => {
    const config = loadConfig({
      env: {},
      flags: { home, port: 0, logLevel: 'silent', instances: { stopGraceSeconds: 0.5 } },
    });
    const hub = await createHub({ config });
    const url = await hub.listen();
    const api = async (method: string, path: string, token: string, body?: unknown) => {
      const res = await fetch(url + path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      return (await res.json()) as any;
    };
    return { hub, api };
  };
  try {
    const first = await start();
    const admin = first.hub.adminToken;
    const reg = await first.api('POST', '/api/v1/agents/register', admin, { name: 'lead' });
    const ins = await first.api('POST', '/api/v1/instances', reg.token, {
      adapter: 'scripted',
      script: { turns: [{ reply: 'ok' }, { hang: true }], default: REPLY },
      delivery: 'idle',
    });
    pids.push(ins.pid);
    // One turn done (so the next hub resumes the CLI's session), the second running when the hub stops.
    const path = `/api/v1/instances/${ins.instance_id}/send`;
    expect((await first.api('POST', path, reg.token, { message: 'first' })).status).toBe('completed');
    expect((await first.api('POST', path, reg.token, { message: 'work', wait: false })).status).toBe('sent');
    const sent = await first.api('POST', '/api/v1/messages', reg.token, {
      to: ins.agent_id,
      body: 'after the restart, answer this',
    });
    // Busy with a turn: the mail waits unread while the hub stops.
    const waiting = await first.api('GET', `/api/v1/messages/${sent.message_id}`, admin);
    expect(waiting.deliveries[0].read_at).toBeNull();
    await first.hub.close();

    const second = await start();
    try {
      const replies = async () =>
        (await second.api('GET', '/api/v1/messages?since=0', reg.token)).messages.filter(
          (m: { reply_to: string | null }) => m.reply_to === sent.message_id,
        );
      await expect.poll(replies, POLL).toHaveLength(1);
      const out = await second.api(
        'GET',
        `/api/v1/instances/${ins.instance_id}/output?limit=1000`,
        second.hub.adminToken,
      );
      const kinds = out.events.map((e: { kind: string }) => e.kind);
      expect(kinds.indexOf('resumed')).toBeGreaterThan(-1);
      const woken = out.events.filter((e: any) => e.kind === 'user' && e.woken_by);
      expect(woken).toHaveLength(1);
      expect(woken[0].woken_by.message_ids).toEqual([sent.message_id]);
      expect(kinds.lastIndexOf('user')).toBeGreaterThan(kinds.indexOf('resumed'));
    } finally {
      await second.hub.close();
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
