/**
 * Where an instance lives on disk: its workspace `<home>/workspaces/<id>` (the process's cwd), and its
 * private files `<home>/instances/<id>/` (the MCP config with its token, 0600; the script).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface InstanceFiles {
  workspace: string;
  /** The instance's private directory (0700). */
  privateDir: string;
  mcpConfigFile: string;
  scriptFile?: string;
}

export function prepareInstanceFiles(opts: {
  home: string;
  instanceId: string;
  hubUrl: string;
  token: string;
  script?: unknown;
  /** An existing directory to use as the workspace (a git worktree). */
  workspace?: string;
}): InstanceFiles {
  const workspace = opts.workspace ?? join(opts.home, 'workspaces', opts.instanceId);
  mkdirSync(workspace, { recursive: true });
  const dir = join(opts.home, 'instances', opts.instanceId);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const mcpConfigFile = join(dir, 'mcp.json');
  const mcp = {
    mcpServers: {
      switchboard: {
        type: 'http',
        url: `${opts.hubUrl}/mcp`,
        headers: { Authorization: `Bearer ${opts.token}` },
      },
    },
  };
  writeFileSync(mcpConfigFile, JSON.stringify(mcp, null, 2), { mode: 0o600 });
  let scriptFile: string | undefined;
  if (opts.script !== undefined) {
    scriptFile = join(dir, 'script.json');
    writeFileSync(scriptFile, JSON.stringify(opts.script, null, 2), { mode: 0o600 });
  }
  return { workspace, privateDir: dir, mcpConfigFile, scriptFile };
}

/** The agent token an instance was given (from its MCP config), to relaunch it after a hub restart. */
export function instanceToken(home: string, instanceId: string): string | null {
  try {
    const cfg = JSON.parse(readFileSync(join(home, 'instances', instanceId, 'mcp.json'), 'utf8'));
    const auth: unknown = cfg?.mcpServers?.switchboard?.headers?.Authorization;
    return typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7) : null;
  } catch {
    return null;
  }
}
