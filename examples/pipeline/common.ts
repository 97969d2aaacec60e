/** What the three pipeline programs share: capabilities, options, waiting for a peer, a clean exit. */
import { parseArgs } from 'node:util';
import { AgentClient } from '../../src/client/index.js';

export const CAPABILITY = {
  producer: 'pipeline-producer',
  processor: 'pipeline-processor',
  analyzer: 'pipeline-analyzer',
} as const;

/** Message types on the wire. */
export const TYPE = { data: 'data', processed: 'processed', end: 'end' } as const;

export interface CommonOptions {
  url?: string;
  project: string;
  waitSeconds: number;
  values: Record<string, string | boolean | undefined>;
}

/** `--url`, `--project` (default "pipeline"), `--wait-seconds` plus the program's own options. */
export function options(extra: Record<string, { type: 'string' | 'boolean' }> = {}): CommonOptions {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      project: { type: 'string' },
      'wait-seconds': { type: 'string' },
      ...extra,
    },
  });
  const waitSeconds = Number(values['wait-seconds'] ?? 120);
  if (!Number.isFinite(waitSeconds) || waitSeconds <= 0)
    throw new Error('--wait-seconds expects a number of seconds');
  return {
    url: (values.url as string | undefined) ?? process.env.SWITCHBOARD_URL,
    project: (values.project as string | undefined) ?? 'pipeline',
    waitSeconds,
    values: values as Record<string, string | boolean | undefined>,
  };
}

export function createAgent(name: string, capability: string, opts: CommonOptions): AgentClient {
  return new AgentClient({
    url: opts.url,
    name,
    capabilities: [capability],
    role: name,
    project: opts.project,
    description: `Switchboard example: the ${name} of examples/pipeline`,
    onState: (state, detail) => {
      if (state === 'reconnecting')
        console.error(`${name}: connection lost (${detail?.message}); reconnecting`);
    },
  });
}

/** Waits until an agent with this capability is registered in our project (the next stage is up). */
export async function waitForPeer(
  agent: AgentClient,
  capability: string,
  opts: CommonOptions,
  who: string,
): Promise<string> {
  const deadline = Date.now() + opts.waitSeconds * 1000;
  let told = false;
  for (;;) {
    const { agents } = await agent.hub.list_agents({ capability, project: opts.project });
    if (agents.length > 0) return agents[0].agent_id;
    if (!told) console.error(`${who}: waiting for a ${capability} agent to register...`);
    told = true;
    if (Date.now() > deadline)
      throw new Error(`no ${capability} agent registered within ${opts.waitSeconds} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Runs `main`; on failure prints one line and exits 1; Ctrl-C retires the agent first. */
export function run(who: string, main: (onStop: (fn: () => Promise<void>) => void) => Promise<void>): void {
  let cleanup: (() => Promise<void>) | undefined;
  const stop = async () => {
    await cleanup?.().catch(() => {});
    process.exit(130);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  main((fn) => {
    cleanup = fn;
  }).then(
    () => process.exit(0),
    async (err: Error) => {
      console.error(`${who}: ${err.message}`);
      await cleanup?.().catch(() => {});
      process.exit(1);
    },
  );
}
