/**
 * An instance process's environment: what of the hub's passes (instances.envAllow, the real CLI's
 * own variables, instances.env), and the instance's own variables on top. See config/instance-env.ts.
 */
import { type Adapter, allowedEnv, isScriptedCommand } from '../../agents/adapters/index.js';
import type { Config } from '../../config/schema.js';
import { resolveSecrets } from '../gateway/secrets.js';

/**
 * The hub's variables the child gets: the allow-list, plus the CLI's keys unless a stand-in runs
 * instead, plus instances.env (whose `${env:NAME}` and `${file:PATH}` references are resolved here, as
 * gateway secrets are; `secrets` are the values read, which no output may carry). Throws
 * `invalid_input` naming the variable when a reference cannot be resolved.
 */
export function instanceBaseEnv(
  c: Config['instances'],
  adapter: Adapter,
  command: readonly string[] | undefined,
  hubEnv: NodeJS.ProcessEnv = process.env,
): { env: NodeJS.ProcessEnv; secrets: string[] } {
  const cli = isScriptedCommand(command) ? [] : (adapter.cliEnv ?? []);
  const extras = resolveSecrets('instances', c.env, {});
  return { env: allowedEnv(hubEnv, [...c.envAllow, ...cli], extras.env), secrets: extras.secrets };
}

/** The instance's own variables: where the hub is, who it is (its agent and token), where it runs. */
export function instanceOwnEnv(o: {
  hubUrl: string;
  agentId: string;
  instanceId: string;
  token: string;
  workspace: string;
}): Record<string, string> {
  return {
    SWITCHBOARD_URL: o.hubUrl,
    SWITCHBOARD_AGENT_ID: o.agentId,
    SWITCHBOARD_INSTANCE_ID: o.instanceId,
    // The CLI, `switchboard` commands and the git hook inside the instance act as its own agent.
    SWITCHBOARD_TOKEN: o.token,
    PWD: o.workspace,
  };
}
