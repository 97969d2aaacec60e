/**
 * The scripted agent (`switchboard agent --script FILE --protocol P`): a stand-in that speaks a real
 * CLI's protocol with no model behind it. `scripted` is Claude Code's protocol; any other adapter
 * given a script runs the stand-in of its own CLI instead of the CLI.
 */
import { switchboardBin } from '../package-root.js';
import { claudeCode } from './claude-code.js';
import type { Adapter, SessionAdapter } from './types.js';

/** The protocols the stand-in speaks, by adapter name (an adapter's `standIn`). */
export type ScriptedProtocol = NonNullable<Adapter['standIn']>;

/** The argv prefix that runs the stand-in for a protocol with a script file. */
export function scriptedCommand(protocol: ScriptedProtocol, scriptFile: string): string[] {
  return [process.execPath, switchboardBin(), 'agent', '--script', scriptFile, '--protocol', protocol];
}

/** Whether a program (argv prefix) is the stand-in, as scriptedCommand builds it. */
export const isScriptedCommand = (command: readonly string[] | undefined): boolean =>
  command?.[1] === switchboardBin() && command[2] === 'agent' && command[3] === '--script';

export const scripted: SessionAdapter = {
  ...claudeCode,
  name: 'scripted',
  defaultProgram: 'switchboard agent',
  commandSetting: undefined,
  // The stand-in reaches no model: none of Claude Code's keys.
  cliEnv: [],
  launch(spec) {
    if (!spec.command?.length) throw new Error('the scripted adapter needs a script');
    return claudeCode.launch(spec);
  },
};
