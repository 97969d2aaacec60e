/**
 * The launch spec of an instance: what its adapter turns into a command line (workspace, private
 * files, model, prompt, session, limits, the allow-listed environment and the instance's own
 * variables), plus the adapter's own files written into the private directory.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Adapter, LaunchSpec } from '../../agents/adapters/index.js';
import type { InstanceRecord } from '../../store/instances.js';
import type { DomainDeps } from '../deps.js';
import { instanceBaseEnv, instanceOwnEnv } from './environment.js';

export function launchSpec(
  d: DomainDeps,
  r: InstanceRecord,
  adapter: Adapter,
  files: { workspace: string; privateDir: string; mcpConfigFile: string },
  hubUrl: string,
  token: string,
): LaunchSpec {
  const base = instanceBaseEnv(d.config.instances, adapter, r.launch.command);
  const spec: LaunchSpec = {
    instanceId: r.id,
    workspace: files.workspace,
    privateDir: files.privateDir,
    model: r.model ?? undefined,
    systemPrompt: r.launch.system_prompt,
    mcpConfigFile: files.mcpConfigFile,
    hubMcpUrl: `${hubUrl}/mcp`,
    token,
    command: r.launch.command,
    permissionMode: r.launch.permission_mode ?? 'accept_edits',
    maxTurns: r.limits.max_turns,
    maxCostUsd: r.limits.max_cost_usd,
    sessionId: r.sessionId ?? randomUUID(),
    resume: null,
    baseEnv: base.env,
    secrets: base.secrets,
    extraEnv: instanceOwnEnv({
      hubUrl,
      agentId: r.agentId,
      instanceId: r.id,
      token,
      workspace: files.workspace,
    }),
  };
  for (const f of adapter.files?.(spec) ?? [])
    writeFileSync(join(files.privateDir, f.name), f.content, { mode: 0o600 });
  return spec;
}
