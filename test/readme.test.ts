/**
 * The README's examples as a newcomer runs them: the REST example block with bash and curl against a
 * real hub, the Claude Desktop entry as `switchboard connect` prints it (and that entry run from another
 * directory), and the exit-code table against the CLI's codes.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, EXIT_CODE } from '../src/core/errors.js';
import { hubForFile } from './helpers/hub.js';
import { structured } from './mcp-clients.js';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'switchboard.js');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The text under a heading, up to the next heading of the same or a higher level (outside code blocks). */
function section(heading: string): string {
  const level = heading.match(/^#+/)![0].length;
  const lines = README.split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) throw new Error(`README has no heading "${heading}"`);
  let fenced = false;
  let end = start + 1;
  for (; end < lines.length; end++) {
    if (lines[end].startsWith('```')) fenced = !fenced;
    const hashes = !fenced && lines[end].match(/^(#+) /);
    if (hashes && hashes[1].length <= level) break;
  }
  return lines.slice(start + 1, end).join('\n');
}

/** The code blocks of a section in the given language, in order. */
function blocks(text: string, lang: string): string[] {
  return [...text.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);
}

function run(
  file: string,
  args: string[],
  env: Record<string, string>,
  cwd = ROOT,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { env: { PATH: process.env.PATH ?? '', ...env }, cwd, timeout: 60_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

let elsewhere: string;
const t = hubForFile({}, { afterClose: async () => rmSync(elsewhere, { recursive: true, force: true }) });
beforeAll(async () => {
  elsewhere = mkdtempSync(join(tmpdir(), 'switchboard-readme-'));
});

describe('README', () => {
  it('REST API: the example block runs as written (bash, curl, node) against a hub', async () => {
    const [example] = blocks(section('## REST API'), 'bash');
    expect(example).toContain('$TOKEN_B');
    const out = await run(
      'bash',
      ['--norc', '-c', `set -euo pipefail\n${example}`],
      { SWITCHBOARD_URL: t.url },
      elsewhere,
    );
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const answers = out.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(answers.every((a) => a.success !== false)).toBe(true);
    const [listed, waited, unread, byCursor, acked] = answers;
    expect(listed.agents.map((a: { agent_id: string }) => a.agent_id)).toEqual(['beta']);
    expect(waited.messages.map((m: { from: string; body: unknown }) => [m.from, m.body])).toEqual([
      ['alpha', 'Hello Beta!'],
    ]);
    expect(unread.messages).toBeDefined();
    expect(byCursor.messages.map((m: { body: unknown }) => m.body)).toEqual(['Hello Beta!']);
    expect(acked).toMatchObject({ success: true, acked: [byCursor.messages[0].message_id] });
  });

  it('Claude Desktop: the entry has the shape `connect` prints, and that entry runs from any directory', async () => {
    const [snippet] = blocks(section('### Claude Desktop and other stdio clients'), 'json');
    const documented = JSON.parse(snippet).mcpServers.switchboard;
    const printed = await run(process.execPath, [BIN, 'connect', 'claude-desktop', '--name', 'readme-desk'], {
      SWITCHBOARD_URL: t.url,
      SWITCHBOARD_HOME: t.home,
      LOG_LEVEL: 'silent',
    });
    expect(printed.code).toBe(0);
    const entry = JSON.parse(printed.stdout).mcpServers.switchboard;
    expect(Object.keys(documented).sort()).toEqual(Object.keys(entry).sort());
    expect(Object.keys(documented.env).sort()).toEqual(Object.keys(entry.env).sort());
    // Node and the CLI script by absolute path: nothing depends on the directory or PATH it starts in.
    expect(entry.command).toBe(process.execPath);
    expect(entry.args).toEqual([BIN, 'mcp']);
    expect(documented.command).toMatch(/^\/.*\/node$/);
    expect(documented.args).toEqual([expect.stringMatching(/^\/.*\/bin\/switchboard\.js$/), 'mcp']);

    const client = new Client({ name: 'readme-desktop', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: entry.command,
        args: entry.args,
        env: { ...entry.env, LOG_LEVEL: 'silent' },
        cwd: elsewhere,
        stderr: 'pipe',
      }),
    );
    try {
      const me = structured(await client.callTool({ name: 'whoami', arguments: {} }));
      expect(me.agent.name).toBe('readme-desk');
    } finally {
      await client.close();
    }
  });

  it('CLI: the exit-code table is the one the CLI uses', () => {
    const rows = section('## CLI')
      .split('\n')
      .map((line) => line.match(/^\|\s*(\d+)\s*\|([^|]*)\|/))
      .filter((m): m is RegExpMatchArray => m !== null);
    const documented: Record<string, number> = {};
    for (const [, exit, codes] of rows)
      for (const code of codes.match(/`[a-z_]+`/g) ?? []) documented[code.slice(1, -1)] = Number(exit);
    expect(documented).toEqual(Object.fromEntries(ERROR_CODES.map((code) => [code, EXIT_CODE[code]])));
    expect(rows.some(([, exit]) => exit === '0')).toBe(true);
  });
});
