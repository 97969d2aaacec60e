/**
 * One sub-command per catalog operation (`switchboard send_message`, alias `send-message`), with
 * flags generated from its zod input and `--input '<json>'` for the whole input at once.
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

export function registerOperationCommand(program: Command, op: AnyOperation): void {
  const names = taken(program);
  if (names.has(op.name)) return;
  const flags = fieldFlags(op.input);
  const cmd = program
    .command(op.name)
    .description(`${op.summary}${ACCESS_NOTE[op.access]}`)
    .helpGroup(`Operations (${op.group}):`);
  if (kebab(op.name) !== op.name && !names.has(kebab(op.name))) cmd.alias(kebab(op.name));
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
      else printPretty(result);
    }),
  );
}

/** Registers a command for every operation of the catalog not already taken by a command. */
export function registerOperationCommands(
  program: Command,
  operations: readonly AnyOperation[] = catalog,
): void {
  for (const op of operations) registerOperationCommand(program, op);
}
