/**
 * Twenty instances at once: spawned together as one team, each answers its own turn with its own
 * accounts, a broadcast reaches all of them through the hub, and terminating the team leaves no
 * process. Real processes (the scripted agent) throughout.
 */
import { expect, it } from 'vitest';
import { groupAlive, instancesHubForFile } from './helpers/instances.js';

const N = 20;

const { t, boss, pids } = instancesHubForFile({ stopGraceSeconds: 1, maxConcurrent: N, readySeconds: 90 });

it(
  `runs ${N} instances at once, each with its own turn, accounts and inbox`,
  { timeout: 180_000 },
  async () => {
    const members = Array.from({ length: N }, (_, i) => ({
      adapter: 'scripted',
      role: 'general',
      name: `worker-${i}`,
      capabilities: ['crowd'],
      script: {
        default: {
          // Each checks its own hub inbox, then answers with what it found.
          tool_calls: [{ tool: 'check_inbox', arguments: {} }],
          reply: { template: `worker-${i} got {{input}}; inbox: {{tool_result}}` },
          usage: { input_tokens: 100 + i, output_tokens: 10 },
          cost_usd: 0.001 * (i + 1),
        },
      },
    }));
    const team = await t.api('POST', '/api/v1/teams', { token: boss.token, body: { members } });
    expect(team.status).toBe(201);
    const spawned = team.body.instances as Array<{ instance_id: string; status: string; pid: number }>;
    expect(spawned).toHaveLength(N);
    for (const s of spawned) pids.push(s.pid);
    expect(new Set(spawned.map((s) => s.pid)).size).toBe(N);
    for (const s of spawned) expect(s.status).toBe('idle');

    // One message to all of them by capability, then one turn each, all at once.
    const sent = await t.api('POST', '/api/v1/messages', {
      token: boss.token,
      body: { to: 'capability:crowd', body: 'standup at ten' },
    });
    expect(sent.status).toBe(200);
    const answers = await Promise.all(
      spawned.map((s, i) =>
        t.api('POST', `/api/v1/instances/${s.instance_id}/send`, {
          token: boss.token,
          body: { message: `task ${i}`, timeout_seconds: 120 },
        }),
      ),
    );
    answers.forEach((a, i) => {
      expect(a.body.status, `worker-${i}: ${JSON.stringify(a.body)}`).toBe('completed');
      expect(a.body.text).toContain(`worker-${i} got task ${i}`);
      expect(a.body.text).toContain('standup at ten');
    });

    const list = await t.api('GET', '/api/v1/instances', { token: boss.token });
    const mine = list.body.instances.filter((x: { name: string }) => x.name.startsWith('worker-'));
    expect(mine).toHaveLength(N);
    for (const x of mine) {
      const i = Number(x.name.slice('worker-'.length));
      expect(x.usage).toMatchObject({ tokens: 110 + i, turns: 1 });
      expect(x.usage.cost_usd).toBeCloseTo(0.001 * (i + 1), 9);
    }

    await Promise.all(
      spawned.map((s) => t.api('DELETE', `/api/v1/instances/${s.instance_id}`, { token: boss.token })),
    );
    for (const s of spawned) expect(groupAlive(s.pid)).toBe(false);
  },
);
