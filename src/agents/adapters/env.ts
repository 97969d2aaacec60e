/**
 * The environment a child agent gets. Nothing of the hub's passes unless it is allow-listed: the
 * variables any program needs (instances.envAllow), the ones the adapter's real CLI needs to reach
 * its model (its `cliEnv`), and the admin's explicit extras (instances.env); then the instance's own
 * (its hub URL, agent id and token). The hub's secrets (SWITCHBOARD_ADMIN_TOKEN, whatever the
 * gateway's `${env:…}` secrets name) never pass.
 */

/** Never passed, even when a pattern or an extra names them: Claude Code refuses to start under a parent's CLAUDECODE. */
const STRIPPED = ['CLAUDECODE', 'CLAUDE_CODE_ENTRYPOINT', 'SWITCHBOARD_ADMIN_TOKEN'];

/** A name or a prefix pattern (`LC_*`): exact names compare exactly, a trailing `*` matches a prefix. */
export function envNameAllowed(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));
}

/** The hub's variables the allow-list lets through, with the explicit extras on top. */
export function allowedEnv(
  base: NodeJS.ProcessEnv,
  allow: readonly string[],
  extras: Record<string, string> = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(base))
    if (value !== undefined && envNameAllowed(name, allow)) env[name] = value;
  return { ...env, ...extras };
}

/** The child's environment: the (already allow-listed) base without what must never pass, plus the instance's own. */
export function childEnv(base: NodeJS.ProcessEnv, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const name of STRIPPED) delete env[name];
  return { ...env, ...extra };
}
