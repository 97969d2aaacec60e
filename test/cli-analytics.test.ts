/**
 * `switchboard insights` and `switchboard analytics <sub>` as a user runs them: the built CLI in a
 * child process against a real test hub (SWITCHBOARD_URL), text and --json, exit codes, one-line errors.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODE } from '../src/core/errors.js';
import { catalog } from '../src/ops/catalog.js';
import { startTestHub, type TestHub } from './helpers/hub.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'switchboard.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let h: TestHub;
let home: string;

function cli(args: string[], extra: Record<string, string> = {}): Promise<Run> {
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    SWITCHBOARD_HOME: home,
    SWITCHBOARD_URL: h.url,
    ...extra,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end();
  });
}

const json = (run: Run) => {
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
};
/** Runs the CLI as the admin (--admin, the token from the environment). */
const admin = (args: string[]) => cli([...args, '--admin'], { SWITCHBOARD_ADMIN_TOKEN: h.adminToken });

function expectFailure(run: Run, code: number, pattern: RegExp): void {
  expect(run.code).toBe(code);
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^switchboard: /);
  expect(lines[0]).toMatch(pattern);
}

let lead: { id: string; token: string };
let sink: { id: string; token: string };

beforeAll(async () => {
  h = await startTestHub({ analytics: { cacheSeconds: 0 } });
  home = mkdtempSync(join(tmpdir(), 'switchboard-cli-analytics-'));
  lead = await h.register('Lead', { agent_id: 'lead', role: 'lead' });
  sink = await h.register('Sink', { agent_id: 'sink', role: 'worker' });
  for (let i = 0; i < 6; i++) {
    const r = await h.api('POST', '/api/v1/messages', {
      token: lead.token,
      body: { to: sink.id, body: `n${i}` },
    });
    expect(r.status).toBe(200);
  }
  const r = await h.api('POST', '/api/v1/messages', { token: sink.token, body: { to: lead.id, body: 'hi' } });
  expect(r.status).toBe(200);
});

afterAll(async () => {
  await h?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('switchboard insights', { timeout: 120_000 }, () => {
  it('prints one block per finding, severity first; --json the answer', async () => {
    const text = await admin(['insights']);
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^0 critical, 1 warning, 0 info since \d{4}-\d\d-\d\dT/);
    expect(lines.slice(1)).toEqual([
      '',
      'WARNING  backlog: Sink (sink) has 6 unread messages and takes in more than it sends',
      '  agents:   sink',
      '  evidence: unread 6, received 6, sent 1, answered 0',
      expect.stringMatching(/^ {2}action: {3}Check that the agent reads its inbox/),
    ]);

    const raw = json(await cli(['insights', '--json'], { SWITCHBOARD_TOKEN: lead.token }));
    expect(raw.findings).toEqual([
      expect.objectContaining({
        kind: 'backlog',
        severity: 'warning',
        agents: ['sink'],
        evidence: { unread: 6, received: 6, sent: 1, answered: 0 },
      }),
    ]);
  });

  it('says so when there is nothing to act on, and refuses another project in one line', async () => {
    const quiet = await admin([
      'insights',
      '--since',
      '2000-01-01T00:00:00Z',
      '--until',
      '2000-01-02T00:00:00Z',
    ]);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).toBe(
      'No findings since 2000-01-01T00:00:00Z until 2000-01-02T00:00:00Z: nothing to act on.\n',
    );
    const stranger = await h.register('Stranger', { project: 'other' });
    const peek = await cli(['insights', '--project', 'default'], { SWITCHBOARD_TOKEN: stranger.token });
    expectFailure(peek, EXIT_CODE.forbidden, /own project \(other\)/);
    const bad = await admin(['insights', '--limit', 'many']);
    expectFailure(bad, EXIT_CODE.invalid_input, /--limit expects a number/);
  });
});

describe('switchboard analytics <sub>', { timeout: 120_000 }, () => {
  it('has a sub-command for every analytics operation in the catalog', async () => {
    const help = await cli(['analytics', '--help']);
    expect(help.code).toBe(0);
    const subs = catalog.filter((op) => op.name.startsWith('analytics_')).map((op) => op.name.slice(10));
    expect(subs).toEqual(expect.arrayContaining(['usage', 'history', 'tools', 'insights', 'rebuild']));
    for (const sub of subs) expect(help.stdout).toMatch(new RegExp(`^  ${sub}( |\\|)`, 'm'));
  });

  it('answers usage, history, tools, insights and rebuild with the exact figures, as JSON', async () => {
    // Independent reads, started together.
    const [byRole, all, history, tools, insights] = await Promise.all([
      admin(['analytics', 'usage', '--role', 'worker', '--json']),
      cli(['analytics', 'usage', '--json'], { SWITCHBOARD_TOKEN: lead.token }),
      admin(['analytics', 'history', '--bucket', 'day', '--json']),
      admin(['analytics', 'tools', '--json']),
      admin(['analytics', 'insights', '--limit', '1', '--json']),
    ]);
    expect(json(byRole).agents).toEqual([
      expect.objectContaining({ agent_id: 'sink', sent: 1, received: 6 }),
    ]);
    expect(json(all).totals).toMatchObject({ agents: 2, sent: 7, received: 7 });
    expect(json(history).totals).toEqual({
      messages: 7,
      threads: 7,
      participants: 2,
      by_type: { message: 7 },
    });
    expect(json(history).series).toHaveLength(1);
    expect(json(tools).operations.find((o: any) => o.name === 'send_message')).toMatchObject({
      calls: 7,
      errors: 0,
    });
    expect(json(insights).findings.map((f: any) => f.kind)).toEqual(['backlog']);

    // Without --json: the answer indented for people.
    const pretty = await admin(['analytics', 'usage', '--agent-id', 'lead']);
    expect(JSON.parse(pretty.stdout).agents[0]).toMatchObject({ agent_id: 'lead', sent: 6, received: 1 });

    const rebuilt = json(await admin(['analytics', 'rebuild', '--json']));
    expect(rebuilt).toEqual({ messages: 7, task_attempts: 0, instances: 0 });
    const agentRebuild = await cli(['analytics', 'rebuild'], { SWITCHBOARD_TOKEN: lead.token });
    expectFailure(agentRebuild, EXIT_CODE.forbidden, /admin/);
  });

  it('suggests the sub-command meant, in one line', async () => {
    const typo = await cli(['analytics', 'usag']);
    expectFailure(
      typo,
      EXIT_CODE.invalid_input,
      /unknown command 'usag'\. Did you mean 'usage'\? \(see switchboard analytics --help\)$/,
    );
  });
});
