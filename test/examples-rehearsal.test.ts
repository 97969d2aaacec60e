/**
 * The team rehearsal example (`npm run example:team`), run as a real program (the built
 * `dist/examples/rehearsal/team.js`) against a test hub: three stand-in CLIs (Claude Code, codex,
 * gemini) as one team; the architect's plan reaches both builders through the hub.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './helpers/hub.js';

const run = promisify(execFile);
let h: TestHub;

beforeAll(async () => {
  h = await startTestHub({ instances: { stopGraceSeconds: 0.5 } });
});
afterAll(async () => {
  await h.close();
});

it('rehearses a three-CLI team: the plan reaches every builder, and the accounts add up', async () => {
  const { stdout } = await run(
    process.execPath,
    [
      join(import.meta.dirname, '..', 'dist', 'examples', 'rehearsal', 'team.js'),
      '--json',
      '--plan',
      'a kite shop',
    ],
    { env: { PATH: process.env.PATH, HOME: process.env.HOME, SWITCHBOARD_URL: h.url }, timeout: 90_000 },
  );
  const result = JSON.parse(stdout.trim().split('\n').at(-1)!);
  expect(result.answers.map((a: { adapter: string }) => a.adapter)).toEqual([
    'claude-code',
    'codex',
    'gemini',
  ]);
  for (const a of result.answers) expect(a.status).toBe('completed');
  expect(result.answers[0].text).toContain('architect: plan sent to the builders');
  for (const a of result.answers.slice(1)) expect(a.text).toContain('plan: a kite shop');
  // 1,200 + 300 (architect) + 900 + 90 (backend) + 700 + 70 (frontend); only Claude reports cost.
  expect(result.tokens).toBe(3260);
  expect(result.cost_usd).toBeCloseTo(0.02, 9);
  // The team was terminated: nothing is left running.
  const list = await h.api('GET', '/api/v1/instances', { token: h.adminToken });
  for (const i of list.body.instances) expect(['stopped', 'failed']).toContain(i.status);
});
