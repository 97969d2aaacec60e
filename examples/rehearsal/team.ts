/**
 * Rehearse a three-agent team before spending tokens: an architect, a backend and a frontend
 * developer, each a real process speaking a real CLI's protocol (the scripted stand-ins of Claude Code,
 * codex and gemini), all joined to the hub. The lead (this program) starts them as one team; the
 * architect broadcasts a plan to the builders through the hub, each builder waits for it and answers
 * with what it heard; the lead collects their answers and the team's token and cost accounts, then
 * terminates the team. Swap a `script` for nothing (and install the CLI) to run the real thing.
 *
 *   npm start                      # a hub
 *   npm run example:team           # --url URL, --token TOKEN (an agent's), --plan TEXT, --json
 */
import { parseArgs } from 'node:util';
import { AgentClient, HubClient } from '../../src/client/index.js';

const BUILDERS = 'team-builder';

/** What each member does: scripts for the stand-ins (see the README: Rehearse with scripted agents). */
export function teamMembers(project: string) {
  const builder = (name: string, adapter: string, model: string, tokens: number) => ({
    name: `${name}-${project}`,
    adapter,
    role: `${name === 'backend' ? 'backend' : 'frontend'}_developer`,
    capabilities: [BUILDERS],
    script: {
      model,
      default: {
        tool_calls: [{ tool: 'wait_for_messages', arguments: { timeout_seconds: 20 } }],
        reply: { template: `${name}: building from {{tool_result}}` },
        usage: { input_tokens: tokens, output_tokens: Math.round(tokens / 10) },
      },
    },
  });
  return [
    {
      name: `architect-${project}`,
      adapter: 'claude-code',
      role: 'architect',
      script: {
        model: 'rehearsal-architect',
        default: {
          tool_calls: [
            { tool: 'send_message', arguments: { to: `capability:${BUILDERS}`, body: 'plan: {{input}}' } },
          ],
          reply: { template: 'architect: plan sent to the builders ({{tool_result}})' },
          usage: { input_tokens: 1200, output_tokens: 300 },
          cost_usd: 0.02,
        },
      },
    },
    builder('backend', 'codex', 'rehearsal-backend', 900),
    builder('frontend', 'gemini', 'rehearsal-frontend', 700),
  ];
}

export interface TeamRun {
  answers: Array<{ name: string; adapter: string; status: string; text: string | null }>;
  tokens: number;
  cost_usd: number;
}

export async function rehearse(url: string | undefined, plan: string, token?: string): Promise<TeamRun> {
  let lead: AgentClient | undefined;
  let hub: HubClient;
  if (token) hub = new HubClient({ url, token });
  else {
    lead = new AgentClient({ url, name: 'rehearsal-lead', role: 'lead', project: 'rehearsal' });
    await lead.register();
    hub = lead.hub;
  }
  const project = Date.now().toString(36);
  const team = await hub.spawn_team({ members: teamMembers(project) as never });
  const [architect, ...builders] = team.instances;
  try {
    // The builders first start waiting for the plan (a turn each, not awaited), then the architect.
    const waiting = builders.map((b) =>
      hub.send_to_instance({ instance_id: b.instance_id, message: 'wait for the plan', timeout_seconds: 60 }),
    );
    const arch = await hub.send_to_instance({ instance_id: architect!.instance_id, message: plan });
    const answers = [arch, ...(await Promise.all(waiting))].map((a, i) => ({
      name: team.instances[i]!.name,
      adapter: team.instances[i]!.adapter,
      status: a.status,
      text: a.text,
    }));
    let tokens = 0;
    let cost = 0;
    for (const m of team.instances) {
      const s = await hub.get_instance_status({ instance_id: m.instance_id });
      tokens += s.usage.tokens;
      cost += s.usage.cost_usd;
    }
    return { answers, tokens, cost_usd: Math.round(cost * 1e6) / 1e6 };
  } finally {
    await Promise.all(team.instances.map((m) => hub.terminate_instance({ instance_id: m.instance_id })));
    await lead?.close({ retire: true });
  }
}

const isMain = process.argv[1]?.endsWith('team.js');
if (isMain) {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      plan: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  rehearse(
    values.url ?? process.env.SWITCHBOARD_URL,
    values.plan ?? 'a todo app: REST API and a web page',
    values.token ?? process.env.SWITCHBOARD_TOKEN,
  )
    .then((run) => {
      if (values.json) return console.log(JSON.stringify(run));
      const short = (t: string | null) => (t && t.length > 160 ? `${t.slice(0, 160)}…` : t);
      for (const a of run.answers) console.log(`${a.name} (${a.adapter}) ${a.status}: ${short(a.text)}`);
      console.log(`team: ${run.tokens} tokens, $${run.cost_usd}`);
    })
    .catch((err: Error) => {
      console.error(`rehearsal failed: ${err.message}`);
      process.exit(1);
    });
}
