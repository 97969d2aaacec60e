/**
 * `switchboard agent` on its own: the scripted agent starts once per instance (and once per turn for
 * codex and gemini), so bin/switchboard.js loads only this instead of every command (about 0.4 s less
 * per start on a small machine).
 */
import { Command } from 'commander';
import { VERSION } from '../../version.js';
import { registerAgent } from './agent.js';

const program = new Command('switchboard').version(VERSION).showHelpAfterError();
registerAgent(program);
program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`switchboard agent: ${err.message}\n`);
  process.exit(1);
});
