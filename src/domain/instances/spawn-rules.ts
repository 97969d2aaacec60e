/**
 * The rules a spawn must pass before anything is stored: what a caller may ask for (the program, files
 * on the hub host, bypass), what could never work (a missing CLI, a bad script, a cost limit on a CLI
 * that reports no cost), and which program an instance runs.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { isAbsolute, relative as relativePath, resolve as resolvePath } from 'node:path';
import {
  type Adapter,
  adapterFor,
  type AdapterName,
  type PermissionMode,
  scriptedCommand,
} from '../../agents/adapters/index.js';
import { scriptSchema } from '../../agents/scripted/script.js';
import { envPlaceholders } from '../../agents/scripted/template.js';
import type { Config } from '../../config/schema.js';
import type { Caller } from '../../core/caller.js';
import { HubError } from '../../core/errors.js';
import type { InstanceLimits } from '../../store/instances.js';
import { resolveProgram } from './program.js';

type InstancesConfig = Config['instances'];

export interface SpawnInput {
  name?: string;
  adapter: AdapterName;
  role: string;
  model?: string;
  system_prompt?: string;
  task?: string;
  command?: string[];
  script?: Record<string, unknown>;
  script_file?: string;
  limits?: InstanceLimits;
  parent_id?: string;
  capabilities?: string[];
  /** A git worktree of this repository on its own branch, instead of a fresh directory. */
  workspace?: { repo: string; branch?: string };
  permission_mode?: PermissionMode;
  restart?: { max_restarts: number; backoff_seconds?: number };
  /** How new mail reaches it: manual (default), idle (wakes it), steer (also mid-turn where the CLI allows). */
  delivery?: 'manual' | 'idle' | 'steer';
  delivery_settings?: Record<string, unknown>;
}

/** Refuses what this caller may not ask for, or what could never work, naming the field. */
export function checkSpawn(c: InstancesConfig, caller: Caller, input: SpawnInput, adapter: Adapter): void {
  const scripted = input.script !== undefined || input.script_file !== undefined;
  if (input.adapter === 'scripted' && !scripted)
    throw new HubError(
      'invalid_input',
      'script: the scripted adapter needs script (a JSON script) or script_file',
    );
  if (input.script !== undefined && input.script_file !== undefined)
    throw new HubError('invalid_input', 'script: give script or script_file, not both');
  if (input.script !== undefined) {
    // Checked here, so a bad script is a clear error and not a stand-in that fails to start.
    const parsed = scriptSchema.safeParse(input.script);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new HubError(
        'invalid_input',
        `script.${issue.path.join('.') || '(top level)'}: ${issue.message} (see the README: Rehearse with scripted agents)`,
      );
    }
  }
  if (input.adapter === 'command' && scripted)
    throw new HubError(
      'invalid_input',
      'script: the command adapter runs your program; scripts are for claude-code, codex and gemini',
    );
  if (input.adapter === 'command' && !input.command?.length)
    throw new HubError('invalid_input', 'command: the command adapter needs command: [program, ...args]');
  if (scripted && input.command)
    throw new HubError('invalid_input', 'command: a scripted instance runs the stand-in; drop command');
  if (input.limits?.max_cost_usd !== undefined && !adapter.reportsCost)
    throw new HubError(
      'invalid_input',
      `limits.max_cost_usd: the ${input.adapter} CLI reports no cost, so a cost limit could never fire; use limits.max_tokens`,
    );
  // Choosing the program to run, or a path on the hub host, is running code on this machine.
  const outsideRoots = input.workspace !== undefined && !insideAny(input.workspace.repo, c.agentRepoRoots);
  const bypass = input.permission_mode === 'bypass';
  if (
    (input.command || input.script_file || outsideRoots || bypass) &&
    caller.kind !== 'admin' &&
    !c.allowAgentCommands
  ) {
    const field = input.command
      ? 'command'
      : input.script_file
        ? 'script_file'
        : bypass
          ? 'permission_mode'
          : 'workspace.repo';
    throw new HubError(
      'forbidden',
      field === 'workspace.repo'
        ? 'workspace.repo: agents may use repositories under instances.agentRepoRoots in the config ' +
            `(${c.agentRepoRoots.join(', ') || 'none configured'}); only the admin may name another path`
        : field === 'permission_mode'
          ? 'permission_mode: bypass lets the CLI run anything on the hub host without asking; only the admin may ' +
            'choose it (or set instances.allowAgentCommands to true in the config)'
          : `${field}: only the admin may choose the program or a file on the hub host; agents may spawn ` +
            'the configured CLIs or scripted instances with an inline script ' +
            '(set instances.allowAgentCommands to true in the config to allow it)',
    );
  }
  if (input.script !== undefined && caller.kind !== 'admin') refuseEnvPlaceholders(input.script, 'script');
}

/**
 * `{{env.NAME}}` in an agent's script would read the environment of the hub's host into the output
 * (the stand-in's own, which is allow-listed, but still not the agent's to read): refused, naming
 * where. The admin may use it.
 */
function refuseEnvPlaceholders(script: unknown, root: string): void {
  // Walked with a stack, not recursion: tool arguments may nest deeper than the call stack.
  const stack: Array<[unknown, string]> = [[script, root]];
  while (stack.length) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      const [name] = envPlaceholders(value);
      if (name !== undefined)
        throw new HubError(
          'invalid_input',
          `${path}: {{env.${name}}} reads the hub host's environment, which only the admin may put in a script; ` +
            'pass the value in the task or the script itself',
        );
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => stack.push([v, `${path}.${i}`]));
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) stack.push([v, `${path}.${k}`]);
    }
  }
}

/** The program an instance runs: the stand-in for a script, else the caller's or the configured CLI. */
export function programFor(
  c: InstancesConfig,
  input: SpawnInput,
  scriptFile: string | undefined,
): string[] | undefined {
  const adapter = adapterFor(input.adapter);
  if (scriptFile) {
    if (!adapter.standIn)
      throw new HubError('invalid_input', `adapter: ${input.adapter} has no scripted stand-in`);
    return scriptedCommand(adapter.standIn, scriptFile);
  }
  if (input.command) return input.command;
  return adapter.commandSetting ? c[adapter.commandSetting] : undefined;
}

/** A CLI that is not installed is refused before anything is stored, saying what to fix. */
export function checkProgram(c: InstancesConfig, input: SpawnInput): void {
  if (input.script !== undefined || input.script_file !== undefined) return;
  const program = programFor(c, input, undefined)?.[0];
  if (!program || resolveProgram(program, process.env.PATH)) return;
  const setting =
    input.command !== undefined
      ? 'command'
      : `instances.${adapterFor(input.adapter).commandSetting} in the config`;
  throw new HubError(
    'invalid_input',
    `adapter: the ${input.adapter} program ${program} is not installed on the hub host (or not on its PATH); ` +
      `install it, set ${setting}, or rehearse with a script (spawn_instance {adapter, script})`,
  );
}

/** A turn longer than the CLI takes is refused, naming the field. */
export function checkTurnSize(adapter: Adapter, text: string, field: string): void {
  if (adapter.maxTurnBytes !== undefined && Buffer.byteLength(text) > adapter.maxTurnBytes)
    throw new HubError(
      'invalid_input',
      `${field}: the ${adapter.name} CLI takes at most ${adapter.maxTurnBytes} bytes a turn (its prompt is a command-line argument); split it or share it through set_context`,
    );
}

/** A team template: `{members: [...]}` or the list itself, each member as spawn_instance takes it. */
export function parseTeamTemplate(file: string): Array<Omit<SpawnInput, 'parent_id'>> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new HubError('invalid_input', `template_file: cannot read ${file}: ${(err as Error).message}`);
  }
  const list = Array.isArray(raw) ? raw : (raw as { members?: unknown })?.members;
  if (!Array.isArray(list) || list.length === 0)
    throw new HubError(
      'invalid_input',
      `template_file: ${file} holds no members (expected {"members": [{"role": ...}]})`,
    );
  return list.map((m, i) => {
    if (typeof m !== 'object' || m === null || typeof (m as { role?: unknown }).role !== 'string')
      throw new HubError('invalid_input', `template_file: member ${i} needs a role`);
    return { adapter: 'claude-code', ...(m as object) } as Omit<SpawnInput, 'parent_id'>;
  });
}

/** Whether `path` (symlinks resolved) lies inside one of `roots`. */
function insideAny(path: string, roots: readonly string[]): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(resolvePath(p));
    } catch {
      return resolvePath(p);
    }
  };
  const target = real(path);
  return roots.some((root) => {
    const rel = relativePath(real(root), target);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  });
}
