/**
 * One sub-command per catalog operation (`switchboard send_message`, alias `send-message`), with
 * flags generated from its zod input and `--input '<json>'` for the whole input at once. Operations
 * named `<group>_<name>` can also be reached as a nested group (`switchboard analytics usage`).
 */
import { type Command, Option } from 'commander';
import { catalog } from '../../ops/catalog.js';
import type { AnyOperation } from '../../ops/types.js';
import { type ConnectionFlags, connect, withConnectionFlags } from './connection.js';
import { printJson, printPretty } from './output.js';
import { action, usageExits } from './run.js';
import { fieldFlags, inputFromOptions, kebab, parseInputJson, toOptions } from './zod-flags.js';

const ACCESS_NOTE: Record<AnyOperation['access'], string> = {
  public: '',
  agent: ' [as an agent: --token or SWITCHBOARD_TOKEN]',
  admin: ' [admin: --admin]',
};

function taken(program: Command): Set<string> {
  return new Set(program.commands.flatMap((c) => [c.name(), ...c.aliases()]));
}

/**
 * Adds `parent <name>` calling `op`: its flags, --input, the connection flags, and the answer printed
 * as JSON (one line with --json, indented otherwise) or by `print` when given (text for people).
 */
export function addOperationCommand(
  parent: Command,
  name: string,
  op: AnyOperation,
  print?: (result: any) => void,
): Command {
  const flags = fieldFlags(op.input);
  const cmd = parent.command(name).description(`${op.summary}${ACCESS_NOTE[op.access]}`);
  if (op.description) cmd.addHelpText('after', `\n${op.description}`);
  for (const option of toOptions(flags)) cmd.addOption(option);
  cmd.addOption(new Option('--input <json>', 'the whole input as a JSON object (flags override its fields)'));
  withConnectionFlags(cmd);
  usageExits(cmd);
  cmd.action(
    action(async (options: ConnectionFlags & { input?: string } & Record<string, unknown>) => {
      const input = inputFromOptions(flags, options, parseInputJson(options.input));
      const { client } = connect(options);
      const result = await client.call(op.name, input);
      if (options.json) printJson(result);
      else if (print) print(result);
      else printPretty(result);
    }),
  );
  return cmd;
}

export function registerOperationCommand(program: Command, op: AnyOperation): void {
  const names = taken(program);
  if (names.has(op.name)) return;
  const cmd = addOperationCommand(program, op.name, op).helpGroup(`Operations (${op.group}):`);
  if (kebab(op.name) !== op.name && !names.has(kebab(op.name))) cmd.alias(kebab(op.name));
}

/** Registers a command for every operation of the catalog not already taken by a command. */
export function registerOperationCommands(
  program: Command,
  operations: readonly AnyOperation[] = catalog,
): void {
  for (const op of operations) registerOperationCommand(program, op);
}

/**
 * `switchboard <prefix> <name>` for every operation named `<prefix>_<name>` (e.g. `analytics usage`
 * → analytics_usage): operations added to the catalog later appear here by themselves.
 */
export function registerOperationGroup(
  program: Command,
  prefix: string,
  description: string,
  operations: readonly AnyOperation[] = catalog,
): Command {
  const group = program.command(prefix).description(description);
  usageExits(group);
  for (const op of operations) {
    if (!op.name.startsWith(`${prefix}_`)) continue;
    const name = op.name.slice(prefix.length + 1);
    const cmd = addOperationCommand(group, name, op);
    if (kebab(name) !== name) cmd.alias(kebab(name));
  }
  return group;
}
