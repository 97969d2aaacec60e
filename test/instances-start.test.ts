/**
 * Starting truthfully: spawn answers once the CLI is up (it answered Claude Code's initialize request),
 * and a start that fails is an error with the reason, never a healthy-looking instance. The opt-in
 * restart policy relaunches a crashed CLI resuming its session. Real processes throughout.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { groupAlive, instancesHubForFile, until } from './helpers/instances.js';

const spawn = async (body: Record<string, unknown>, token = boss.token) => {
  const res = await t.api('POST', '/api/v1/instances', { token, body });
  if (res.body?.pid) pids.push(res.body.pid);
  return res;
};
const send = (id: string, message: string, extra: Record<string, unknown> = {}) =>
  t.api('POST', `/api/v1/instances/${id}/send`, { token: boss.token, body: { message, ...extra } });
const status = async (id: string) =>
  (await t.api('GET', `/api/v1/instances/${id}`, { token: boss.token })).body;
const output = async (id: string) =>
  (await t.api('GET', `/api/v1/instances/${id}/output?limit=1000`, { token: boss.token })).body
    .events as Array<Record<string, unknown>>;
const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');

const { t, boss, pids } = instancesHubForFile({
  stopGraceSeconds: 0.5,
  readySeconds: 1.5,
  maxConcurrent: 10,
});

const listed = async () =>
  (await t.api('GET', '/api/v1/instances', { token: t.adminToken })).body.instances as Array<{
    instance_id: string;
    status: string;
    reason: string | null;
    pid: number | null;
  }>;

describe('starting', () => {
  it('answers once the CLI is ready, with the time it took recorded', async () => {
    const res = await spawn({ adapter: 'scripted', script: { startup: { delay_ms: 300 } } });
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('idle');
    const ready = (await output(res.body.instance_id)).find((e) => e.kind === 'ready');
    expect(ready?.after_ms).toBeGreaterThanOrEqual(300);
  });

  it('fails a CLI that never says it is up, kills it, and records why', async () => {
    const res = await spawn({ adapter: 'scripted', script: { startup: { hang: true } } });
    expect(res.status).toBe(503);
    expect(res.body.error.message).toMatch(
      /failed to start: the CLI did not answer its readiness probe within 1.5 s/,
    );
    const id = res.body.error.details.instance_id as string;
    const row = (await listed()).find((i) => i.instance_id === id)!;
    expect(row.status).toBe('failed');
    expect(row.pid).toBeTruthy();
    expect(groupAlive(row.pid!)).toBe(false);
  });

  it('fails a CLI that exits at start, with its exit code and stderr', async () => {
    const res = await spawn({ adapter: 'scripted', script: { startup: { crash: 3 } } });
    expect(res.status).toBe(503);
    expect(res.body.error.message).toContain('failed to start: the process exited with code 3');
    expect(res.body.error.message).toContain('crash at startup');
  });

  it('refuses a CLI whose program is not installed before storing anything, saying what to fix', async () => {
    const before = (await listed()).length;
    for (const adapter of ['claude-code', 'codex', 'gemini']) {
      const res = await spawn({ adapter, command: ['/nonexistent/cli'] }, t.adminToken);
      expect(res.status, adapter).toBe(400);
      expect(res.body.error.message, adapter).toContain('/nonexistent/cli is not installed');
    }
    const byConfig = await spawn({ adapter: 'gemini' });
    expect(byConfig.status).toBe(400);
    expect(byConfig.body.error.message).toMatch(/instances.geminiCommand.*rehearse with a script/);
    expect((await listed()).length).toBe(before);
  });

  it('refuses a script the stand-in would not take, naming the field, before storing anything', async () => {
    const before = (await listed()).length;
    const res = await spawn({ adapter: 'codex', script: { turns: [{ reply: 3 }] } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^script\.turns\.0\.reply: /);
    const unknown = await spawn({ adapter: 'scripted', script: { speed: 'fast' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain('speed');
    expect((await listed()).length).toBe(before);
  });

  it('fails a program that cannot run at start, truthfully', async () => {
    // Found but not runnable as a CLI: the start fails with the reason, and nothing is left running.
    const res = await spawn({ adapter: 'claude-code', command: ['/bin/false'] }, t.adminToken);
    expect(res.status).toBe(503);
    expect(res.body.error.message).toContain('failed to start: the process exited with code 1');
  });

  it('refuses a cost limit for CLIs that report no cost, and bypass for agents', async () => {
    const cost = await spawn({ adapter: 'codex', script: {}, limits: { max_cost_usd: 1 } });
    expect(cost.status).toBe(400);
    expect(cost.body.error.message).toMatch(/limits.max_cost_usd: the codex CLI reports no cost.*max_tokens/);
    const bypass = await spawn({ adapter: 'scripted', script: {}, permission_mode: 'bypass' });
    expect(bypass.status).toBe(403);
    expect(bypass.body.error.message).toContain('permission_mode');
  });

  it('passes the permission mode and the hub tools allowance to Claude Code', async () => {
    const res = await spawn({ adapter: 'scripted', script: {}, permission_mode: 'default' });
    const argv = cmdline(res.body.pid);
    expect(argv.slice(argv.indexOf('--permission-mode'), argv.indexOf('--permission-mode') + 2)).toEqual([
      '--permission-mode',
      'default',
    ]);
    expect(argv).toContain('mcp__switchboard');
  });
});

describe('restart policy', () => {
  it('relaunches a CLI that crashed, resuming its session; the turn in progress fails truthfully', async () => {
    const res = await spawn({
      adapter: 'scripted',
      script: {
        turns: [{ reply: 'one', usage: { input_tokens: 10, output_tokens: 1 }, cost_usd: 0.1 }, { crash: 7 }],
        default: { reply: { template: 'after restart: {{input}}' }, cost_usd: 0.2 },
      },
      restart: { max_restarts: 1, backoff_seconds: 0.1 },
    });
    expect(res.status).toBe(201);
    const id = res.body.instance_id as string;
    const firstPid = res.body.pid as number;
    expect((await send(id, 'a')).body.text).toBe('one');
    const crashed = await send(id, 'b');
    expect(crashed.body).toMatchObject({ status: 'failed' });
    expect(crashed.body.failure).toContain('code 7');

    const back = await until('restarted and idle', async () => {
      const s = await status(id);
      return s.status === 'idle' && s.pid !== firstPid ? s : null;
    });
    pids.push(back.pid);
    expect(back.reason).toBeNull();
    const argv = cmdline(back.pid);
    expect(argv[argv.indexOf('--resume') + 1]).toBe(back.session_id);
    const after = await send(id, 'c');
    expect(after.body, JSON.stringify(after.body)).toMatchObject({
      status: 'completed',
      text: 'after restart: c',
    });
    // The first process's cumulative totals stay counted; the new process's add to them.
    const s = await status(id);
    expect(s.usage.cost_usd).toBeCloseTo(0.3, 9);
    const kinds = (await output(id)).map((e) => e.kind);
    expect(kinds).toContain('restart');
    expect(s).toMatchObject({ restarts: 1, restart: { max_restarts: 1, backoff_seconds: 0.1 } });

    // Out of restarts: the next crash ends it, failed, with the reason.
    const statusAfterRestart = await t.api('GET', `/api/v1/instances/${id}`, { token: boss.token });
    expect(statusAfterRestart.body.status).toBe('idle');
  });

  it('stops restarting after max_restarts and reports the failure', async () => {
    const res = await spawn({
      adapter: 'scripted',
      script: { default: { crash: 5 } },
      restart: { max_restarts: 2, backoff_seconds: 0.05 },
    });
    const id = res.body.instance_id as string;
    for (let i = 0; i < 3; i++) {
      await until(`ready for turn ${i + 1}`, async () => (await status(id)).status === 'idle');
      const r = await send(id, `try ${i}`);
      expect(r.body.status).toBe('failed');
    }
    const end = await until('failed for good', async () => {
      const s = await status(id);
      return s.status === 'failed' ? s : null;
    });
    expect(end.reason).toContain('code 5');
    const restarts = (await output(id)).filter((e) => e.kind === 'restart');
    expect(restarts).toHaveLength(2);
  });

  it('does not restart a CLI that exited cleanly or was terminated', async () => {
    const res = await spawn({
      adapter: 'scripted',
      script: { turns: [{ reply: 'bye', exit: 0 }] },
      restart: { max_restarts: 3, backoff_seconds: 0.05 },
    });
    const id = res.body.instance_id as string;
    await send(id, 'x');
    const s = await until('stopped', async () => {
      const v = await status(id);
      return v.status === 'stopped' ? v : null;
    });
    expect(s.reason).toContain('exited on its own with code 0');

    const other = await spawn({
      adapter: 'scripted',
      script: {},
      restart: { max_restarts: 3, backoff_seconds: 0.05 },
    });
    const term = await t.api('DELETE', `/api/v1/instances/${other.body.instance_id}`, { token: boss.token });
    expect(term.body.terminated[0].status).toBe('stopped');
    expect(groupAlive(other.body.pid)).toBe(false);
  });
});
