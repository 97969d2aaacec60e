/** The `switchboard` command: each group of commands lives in its own file and registers itself here. */
import { Command } from 'commander';
import { EXIT_CODE, toHubError } from '../../core/errors.js';
import { VERSION } from '../../version.js';
import { registerAgent } from './agent.js';
import { registerClientCommands } from './commands.js';
import { registerMcpCommands } from './mcp-commands.js';
import { usageExitsEverywhere } from './run.js';
import { registerServe } from './serve.js';

export function buildProgram(): Command {
  const program = new Command('switchboard')
    .version(VERSION)
    .description('Switchboard: a coordination hub for AI agents');
  registerServe(program);
  registerMcpCommands(program);
  registerAgent(program);
  registerClientCommands(program);
  // A mistyped command or option: one line with a suggestion, not the whole help.
  usageExitsEverywhere(program);
  return program;
}

const isMain = process.argv[1] && /switchboard(\.js)?$|cli[\\/]main\.(js|ts)$/.test(process.argv[1]);
if (isMain) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((err) => {
      const e = toHubError(err);
      process.stderr.write(`switchboard: ${e.code === 'internal' ? (err as Error).message : e.message}\n`);
      process.exit(EXIT_CODE[e.code]);
    });
}
