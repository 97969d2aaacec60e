/**
 * `switchboard graph` as a user runs it: the built CLI as a child process against a real test hub,
 * text (top edges, patterns) and --json.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { startTestHub, type TestHub } from './helpers/hub.js';

let h: TestHub;

function cli(args: string[], env: Record<string, string> = {}) {
  return runCli(args, { HOME: h.home, SWITCHBOARD_URL: h.url, ...env });
}

beforeAll(async () => {
  h = await startTestHub();
  const reg = (name: string) => h.register(name, { agent_id: name.toLowerCase() });
  const lead = await reg('Lead');
  const send = async (from: { token: string }, body: Record<string, unknown>) => {
    const r = await h.api('POST', '/api/v1/messages', { token: from.token, body });
    expect(r.status).toBe(200);
    return r.body.message_id as string;
  };
  const read = async (who: { id: string; token: string }) =>
    expect((await h.api('GET', `/api/v1/messages?agent_id=${who.id}`, { token: who.token })).status).toBe(
      200,
    );
  for (const name of ['W1', 'W2', 'W3']) {
    const w = await reg(name);
    const q = await send(lead, { to: w.id, type: 'request', body: 'do it' });
    await read(w);
    await send(w, { to: lead.id, type: 'response', reply_to: q, body: 'done' });
  }
  await read(lead);
  const asker = await reg('Asker');
  const mute = await reg('Mute');
  for (let i = 0; i < 3; i++) await send(asker, { to: mute.id, type: 'request', body: 'hello?' });
});

afterAll(async () => {
  await h?.close();
});

describe('switchboard graph', () => {
  it('prints the busiest edges with reliability and the patterns found', async () => {
    const run = await cli(['graph', '--top', '2'], { SWITCHBOARD_ADMIN_TOKEN: h.adminToken });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('communication graph: 6 agents, 7 edges, 9 messages');
    expect(lines.slice(2, 5)).toEqual([
      'top 2 edges by traffic:',
      'FROM   TO    MESSAGES  REQUESTS  ANSWERED  RELIABILITY  LATENCY',
      'Asker  Mute  3         3         0         0%           -',
    ]);
    expect(lines[5]).toMatch(/^Lead {3}W1 {4}1 {9}1 {9}1 {9}100% {9}\d+(\.\d)? ms$/);
    expect(lines).toContain('patterns:');
    expect(lines).toContain(
      '  hub        Lead is a hub: linked with 3 agents, it carries 6 of the 6 messages of its group (100%)',
    );
    expect(lines).toContain(
      '  bottleneck Mute is a bottleneck: 3 unread, 3 requests unanswered (others: 0 waiting on average), betweenness 0',
    );
  });

  it('--json gives the graph and the patterns as the hub answered them', async () => {
    const run = await cli(['graph', '--json'], { SWITCHBOARD_ADMIN_TOKEN: h.adminToken });
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.graph.totals).toEqual({ agents: 6, edges: 7, messages: 9 });
    expect(out.patterns.patterns.map((p: { kind: string }) => p.kind)).toEqual(
      expect.arrayContaining(['hub', 'bottleneck']),
    );
  });

  it('a bad --top is a one-line usage error', async () => {
    const run = await cli(['graph', '--top', 'lots'], { SWITCHBOARD_ADMIN_TOKEN: h.adminToken });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe('switchboard: --top takes a whole number from 0 to 1000');
  });
});
