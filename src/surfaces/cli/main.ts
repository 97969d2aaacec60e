/** The `switchboard` command. */
import { Command } from 'commander';
import { toHubError, EXIT_CODE } from '../../core/errors.js';
import { VERSION } from '../../version.js';
import { registerServe } from './serve.js';

export function buildProgram(): Command {
  const program = new Command('switchboard')
    .version(VERSION)
    .description('Switchboard: a coordination hub for AI agents')
    .showHelpAfterError();
  registerServe(program);
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((err) => {
    const e = toHubError(err);
    process.stderr.write(`switchboard: ${e.code === 'internal' ? (err as Error).message : e.message}\n`);
    process.exit(EXIT_CODE[e.code]);
  });
