/**
 * The rules a spawn passes before anything is stored: what only the admin may ask for (the program,
 * a file or repository on the hub host, bypass, the host's environment in a script), what could never
 * work (a missing CLI, a bad script, a cost limit a CLI cannot enforce, a turn too long for its
 * command line), which program an instance runs, and how a team template is read. Each refusal
 * names the field and what to do instead.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { adapterFor, scriptedCommand } from '../../agents/adapters/index.js';
import { loadConfig } from '../../config/load.js';
import type { ConfigInput } from '../../config/schema.js';
import { admin, asAgent, type Caller } from '../../core/caller.js';
import { HubError } from '../../core/errors.js';
import {
  checkProgram,
  checkSpawn,
  checkTurnSize,
  parseTeamTemplate,
  programFor,
  type SpawnInput,
} from './spawn-rules.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-spawn-rules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = (instances: NonNullable<ConfigInput['instances']> = {}) =>
  loadConfig({ env: {}, flags: { home: dir, instances } }).instances;
const agent = asAgent('ag_1');
const script = { turns: [{ reply: 'hello' }] };

/** The refusal as `code: message`, or 'ok'. */
function spawnOutcome(input: SpawnInput, caller: Caller = agent, c = config()): string {
  try {
    checkSpawn(c, caller, input, adapterFor(input.adapter));
    return 'ok';
  } catch (err) {
    if (!(err instanceof HubError)) throw err;
    return `${err.code}: ${err.message}`;
  }
}

describe('checkSpawn: what could never work', () => {
  it('the scripted adapter needs a script, and only one of script and script_file', () => {
    expect(spawnOutcome({ adapter: 'scripted', role: 'dev' })).toBe(
      'invalid_input: script: the scripted adapter needs script (a JSON script) or script_file',
    );
    expect(spawnOutcome({ adapter: 'scripted', role: 'dev', script, script_file: '/x.json' }, admin)).toBe(
      'invalid_input: script: give script or script_file, not both',
    );
    expect(spawnOutcome({ adapter: 'scripted', role: 'dev', script })).toBe('ok');
  });

  it('a bad script is refused naming the field inside it and where to read more', () => {
    const bad = spawnOutcome({ adapter: 'scripted', role: 'dev', script: { turns: [{ exit: 300 }] } });
    expect(bad).toMatch(
      /^invalid_input: script\.turns\.0\.exit: .+ \(see the README: Rehearse with scripted agents\)$/,
    );
    const unknown = spawnOutcome({ adapter: 'scripted', role: 'dev', script: { bogus: 1 } });
    expect(unknown).toMatch(/^invalid_input: script\.\(top level\): .*bogus/);
  });

  it('the command adapter runs a program, not a script, and needs one', () => {
    expect(spawnOutcome({ adapter: 'command', role: 'dev', script }, admin)).toBe(
      'invalid_input: script: the command adapter runs your program; scripts are for claude-code, codex and gemini',
    );
    expect(spawnOutcome({ adapter: 'command', role: 'dev' }, admin)).toBe(
      'invalid_input: command: the command adapter needs command: [program, ...args]',
    );
    expect(spawnOutcome({ adapter: 'command', role: 'dev', command: [] }, admin)).toBe(
      'invalid_input: command: the command adapter needs command: [program, ...args]',
    );
    expect(spawnOutcome({ adapter: 'command', role: 'dev', command: ['node'] }, admin)).toBe('ok');
  });

  it('a scripted instance runs the stand-in, so a command is refused', () => {
    expect(spawnOutcome({ adapter: 'codex', role: 'dev', script, command: ['codex'] }, admin)).toBe(
      'invalid_input: command: a scripted instance runs the stand-in; drop command',
    );
  });

  it('a cost limit on a CLI that reports no cost is refused, pointing at max_tokens', () => {
    for (const adapter of ['codex', 'gemini'] as const) {
      expect(spawnOutcome({ adapter, role: 'dev', limits: { max_cost_usd: 1 } })).toBe(
        `invalid_input: limits.max_cost_usd: the ${adapter} CLI reports no cost, so a cost limit could never fire; use limits.max_tokens`,
      );
    }
    expect(spawnOutcome({ adapter: 'claude-code', role: 'dev', limits: { max_cost_usd: 1 } })).toBe('ok');
  });
});

describe('checkSpawn: what only the admin may ask for', () => {
  const onlyAdmin =
    'only the admin may choose the program or a file on the hub host; agents may spawn the configured CLIs ' +
    'or scripted instances with an inline script (set instances.allowAgentCommands to true in the config to allow it)';

  it('the program to run, or a script file on the hub host', () => {
    expect(spawnOutcome({ adapter: 'command', role: 'dev', command: ['sh', '-c', 'id'] })).toBe(
      `forbidden: command: ${onlyAdmin}`,
    );
    expect(spawnOutcome({ adapter: 'scripted', role: 'dev', script_file: '/etc/passwd' })).toBe(
      `forbidden: script_file: ${onlyAdmin}`,
    );
    expect(spawnOutcome({ adapter: 'command', role: 'dev', command: ['sh'] }, admin)).toBe('ok');
    const allowed = config({ allowAgentCommands: true });
    expect(spawnOutcome({ adapter: 'command', role: 'dev', command: ['sh'] }, agent, allowed)).toBe('ok');
  });

  it('bypass permissions', () => {
    expect(spawnOutcome({ adapter: 'claude-code', role: 'dev', permission_mode: 'bypass' })).toBe(
      'forbidden: permission_mode: bypass lets the CLI run anything on the hub host without asking; only the ' +
        'admin may choose it (or set instances.allowAgentCommands to true in the config)',
    );
    expect(spawnOutcome({ adapter: 'claude-code', role: 'dev', permission_mode: 'bypass' }, admin)).toBe(
      'ok',
    );
    expect(spawnOutcome({ adapter: 'claude-code', role: 'dev', permission_mode: 'default' })).toBe('ok');
  });

  it('a repository outside instances.agentRepoRoots, however the path is spelled', () => {
    const root = join(dir, 'repos');
    const outside = join(dir, 'elsewhere');
    mkdirSync(join(root, 'app'), { recursive: true });
    mkdirSync(outside, { recursive: true });
    symlinkSync(outside, join(root, 'sneaky'));
    const c = config({ agentRepoRoots: [root] });
    const repo = (path: string) =>
      spawnOutcome({ adapter: 'claude-code', role: 'dev', workspace: { repo: path } }, agent, c);
    const refused =
      'forbidden: workspace.repo: agents may use repositories under instances.agentRepoRoots in the config ' +
      `(${root}); only the admin may name another path`;

    expect(repo(join(root, 'app'))).toBe('ok');
    expect(repo(root)).toBe('ok');
    expect(repo(outside)).toBe(refused);
    expect(repo(join(root, '..', 'elsewhere'))).toBe(refused);
    expect(repo(join(root, 'sneaky'))).toBe(refused); // a symlink inside the root to outside it
    expect(repo(`${root}-twin`)).toBe(refused); // a sibling that shares the root's name as a prefix
    expect(
      spawnOutcome({ adapter: 'claude-code', role: 'dev', workspace: { repo: outside } }, admin, c),
    ).toBe('ok');
    expect(spawnOutcome({ adapter: 'claude-code', role: 'dev', workspace: { repo: outside } })).toBe(
      'forbidden: workspace.repo: agents may use repositories under instances.agentRepoRoots in the config ' +
        '(none configured); only the admin may name another path',
    );
  });

  it("{{env.NAME}} in an agent's script, however deep, naming where", () => {
    const deep = {
      turns: [{ reply: 'ok' }, { tool_calls: [{ tool: 'x', arguments: { a: ['-', '{{env.HOME}}'] } }] }],
    };
    const outcome = spawnOutcome({ adapter: 'scripted', role: 'dev', script: deep });
    expect(outcome).toBe(
      "invalid_input: script.turns.1.tool_calls.0.arguments.a.1: {{env.HOME}} reads the hub host's environment, " +
        'which only the admin may put in a script; pass the value in the task or the script itself',
    );
    expect(spawnOutcome({ adapter: 'scripted', role: 'dev', script: deep }, admin)).toBe('ok');
  });
});

describe('programFor and checkProgram', () => {
  const c = config({
    claudeCommand: ['my-claude', '--x'],
    codexCommand: ['my-codex'],
    geminiCommand: ['my-gemini'],
  });

  it('runs the stand-in for a script, else the caller’s command, else the configured CLI', () => {
    expect(programFor(c, { adapter: 'scripted', role: 'r' }, '/s.json')).toEqual(
      scriptedCommand('claude-code', '/s.json'),
    );
    expect(programFor(c, { adapter: 'gemini', role: 'r' }, '/s.json')).toEqual(
      scriptedCommand('gemini', '/s.json'),
    );
    expect(programFor(c, { adapter: 'codex', role: 'r', command: ['x'] }, undefined)).toEqual(['x']);
    expect(programFor(c, { adapter: 'claude-code', role: 'r' }, undefined)).toEqual(['my-claude', '--x']);
    expect(programFor(c, { adapter: 'codex', role: 'r' }, undefined)).toEqual(['my-codex']);
    expect(programFor(c, { adapter: 'gemini', role: 'r' }, undefined)).toEqual(['my-gemini']);
    expect(programFor(c, { adapter: 'command', role: 'r' }, undefined)).toBeUndefined();
  });

  it('refuses a CLI that is not installed, naming the setting to change', () => {
    const missing = config({
      claudeCommand: ['switchboard-no-such-cli'],
      codexCommand: ['switchboard-no-such-cli'],
    });
    expect(() => checkProgram(missing, { adapter: 'claude-code', role: 'r' })).toThrow(
      'adapter: the claude-code program switchboard-no-such-cli is not installed on the hub host (or not on its ' +
        'PATH); install it, set instances.claudeCommand in the config, or rehearse with a script ' +
        '(spawn_instance {adapter, script})',
    );
    expect(() => checkProgram(missing, { adapter: 'codex', role: 'r' })).toThrow(
      'set instances.codexCommand in the config',
    );
    expect(() =>
      checkProgram(missing, { adapter: 'command', role: 'r', command: ['switchboard-no-such-cli'] }),
    ).toThrow('install it, set command, or rehearse');
    // A script needs no CLI; an installed one passes.
    expect(() => checkProgram(missing, { adapter: 'claude-code', role: 'r', script })).not.toThrow();
    expect(() =>
      checkProgram(config({ claudeCommand: [process.execPath] }), { adapter: 'claude-code', role: 'r' }),
    ).not.toThrow();
  });
});

describe('checkTurnSize', () => {
  it('counts bytes, not characters, against the CLI’s limit, naming the field', () => {
    const gemini = adapterFor('gemini');
    expect(gemini.maxTurnBytes).toBe(120_000);
    expect(() => checkTurnSize(gemini, 'a'.repeat(120_000), 'task')).not.toThrow();
    expect(() => checkTurnSize(gemini, 'é'.repeat(60_001), 'message')).toThrow(
      'message: the gemini CLI takes at most 120000 bytes a turn (its prompt is a command-line argument); ' +
        'split it or share it through set_context',
    );
    expect(() => checkTurnSize(adapterFor('claude-code'), 'a'.repeat(1_000_000), 'task')).not.toThrow();
  });
});

describe('parseTeamTemplate', () => {
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('reads {members: [...]} or a bare list, claude-code by default', () => {
    const members = file(
      'team.json',
      JSON.stringify({ members: [{ role: 'lead' }, { role: 'dev', adapter: 'codex' }] }),
    );
    expect(parseTeamTemplate(members)).toEqual([
      { adapter: 'claude-code', role: 'lead' },
      { adapter: 'codex', role: 'dev' },
    ]);
    expect(parseTeamTemplate(file('list.json', '[{"role":"qa"}]'))).toEqual([
      { adapter: 'claude-code', role: 'qa' },
    ]);
  });

  it('refuses what holds no team, naming the file and the member', () => {
    const missing = join(dir, 'nope.json');
    expect(() => parseTeamTemplate(missing)).toThrow(`template_file: cannot read ${missing}: ENOENT`);
    const broken = file('broken.json', '{"members": [');
    expect(() => parseTeamTemplate(broken)).toThrow(`template_file: cannot read ${broken}: `);
    const empty = file('empty.json', '{"members": []}');
    expect(() => parseTeamTemplate(empty)).toThrow(
      `template_file: ${empty} holds no members (expected {"members": [{"role": ...}]})`,
    );
    expect(() => parseTeamTemplate(file('null.json', 'null'))).toThrow('holds no members');
    const roleless = file('roleless.json', '[{"role":"a"},{"name":"b"}]');
    expect(() => parseTeamTemplate(roleless)).toThrow('template_file: member 1 needs a role');
    expect(() => parseTeamTemplate(file('nulls.json', '[null]'))).toThrow(
      'template_file: member 0 needs a role',
    );
  });
});
