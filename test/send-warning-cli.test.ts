/**
 * `switchboard send` tells a person when a message reached no one: the hub's warning goes to stderr
 * (also with --json, whose stdout stays one parseable document), and the exit code is still 0.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from './helpers/hub.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'switchboard.js');

let h: TestHub;
let home: string;
beforeAll(async () => {
  h = await startTestHub();
  home = mkdtempSync(join(tmpdir(), 'switchboard-cli-home-'));
});
afterAll(async () => {
  await h.close();
  rmSync(home, { recursive: true, force: true });
});

function cli(
  args: string[],
  token: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { PATH: process.env.PATH, HOME: home, SWITCHBOARD_HOME: home, SWITCHBOARD_URL: h.url };
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...env, SWITCHBOARD_TOKEN: token },
      stdio: 'pipe',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end('');
  });
}

describe('switchboard send: a message that reaches no one', () => {
  it('prints the warning on stderr and exits 0; a send that reaches someone prints none', async () => {
    const sender = await h.register('cli-sender', { project: 'cli-warn' });
    const text = await cli(['send', 'topic:nobody-listens', 'anyone?'], sender.token);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^sent msg_\S+ to 0 recipients/);
    expect(text.stderr).toMatch(/^switchboard: warning: nobody is subscribed to topic:nobody-listens/);

    const json = await cli(['send', 'ALL', 'hello?', '--json'], sender.token);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ recipients: [], warning: expect.any(String) });
    expect(json.stderr).toMatch(/warning: no other agent is registered in project cli-warn/);

    const friend = await h.register('cli-friend', { project: 'cli-warn' });
    const heard = await cli(['send', 'ALL', 'hi', '--json'], sender.token);
    expect(JSON.parse(heard.stdout).recipients).toEqual([friend.id]);
    expect(heard.stderr).toBe('');
  });
});
