/** The scripted agent (`switchboard agent --script FILE`): Claude Code's protocol, no model behind it. */
import { switchboardBin } from '../package-root.js';
import { claudeArgs, encodeClaudeInterrupt, encodeClaudeTurn, parseClaudeLine } from './claude-code.js';
import { childEnv } from './env.js';
import type { Adapter } from './types.js';

export const scripted: Adapter = {
  name: 'scripted',
  resultEvents: true,
  launch(spec) {
    if (!spec.scriptFile) throw new Error('the scripted adapter needs a script');
    return {
      file: process.execPath,
      args: [switchboardBin(), 'agent', '--script', spec.scriptFile, ...claudeArgs(spec)],
      env: childEnv(spec.baseEnv, spec.extraEnv),
    };
  },
  encodeTurn: encodeClaudeTurn,
  encodeInterrupt: encodeClaudeInterrupt,
  parseLine: parseClaudeLine,
};
