/** The environment a child agent gets: the hub's, minus what breaks nested CLIs, plus the instance's own. */

/** Variables that must not leak into a child: Claude Code refuses to start under a parent's CLAUDECODE. */
const STRIPPED = ['CLAUDECODE', 'CLAUDE_CODE_ENTRYPOINT', 'SWITCHBOARD_ADMIN_TOKEN'];

export function childEnv(base: NodeJS.ProcessEnv, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const name of STRIPPED) delete env[name];
  return { ...env, ...extra };
}
