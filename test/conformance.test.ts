/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance 0.1.13, the last that runs on
 * Node 20) against a real hub's /mcp: the scenarios that need no fixture tools or resources.
 */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { hubForFile } from './helpers/hub.js';

const SCENARIOS = [
  'server-initialize',
  'ping',
  'tools-list',
  'logging-set-level',
  'dns-rebinding-protection',
];

const t = hubForFile();

function conformance(url: string, scenario: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['--no-install', 'conformance', 'server', '--url', url, '--scenario', scenario],
      { timeout: 60_000, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, output: `${stdout}\n${stderr}` });
      },
    );
  });
}

describe('MCP conformance suite against /mcp', () => {
  for (const scenario of SCENARIOS) {
    it(`passes ${scenario}`, { timeout: 90_000 }, async () => {
      const { code, output } = await conformance(`${t.url}/mcp`, scenario);
      expect(output).toMatch(/Passed: (\d+)\/\1, 0 failed/);
      expect(output).not.toContain('FAILURE');
      expect(code, output).toBe(0);
    });
  }
});
