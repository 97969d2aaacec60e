/**
 * Isolated agents: registered, present (active, busy or idle), registered long enough ago
 * (ISOLATED.graceMinutes), and without a single message sent or received over the range while
 * others in its project did talk. A project where nobody talked is quiet, not isolating.
 */
import { type Finding, label } from './finding.js';

export const ISOLATED = { graceMinutes: 10 };

export interface AgentPresence {
  agent_id: string;
  name: string | null;
  project: string;
  status: string;
  /** Minutes since it registered. */
  registered_minutes_ago: number;
  sent: number;
  received: number;
}

const PRESENT = new Set(['active', 'busy', 'idle']);

export function isolatedFindings(agents: readonly AgentPresence[]): Finding[] {
  const talking = new Map<string, number>();
  for (const a of agents)
    if (a.sent + a.received > 0) talking.set(a.project, (talking.get(a.project) ?? 0) + 1);
  return agents
    .filter(
      (a) =>
        PRESENT.has(a.status) &&
        a.registered_minutes_ago >= ISOLATED.graceMinutes &&
        a.sent + a.received === 0 &&
        (talking.get(a.project) ?? 0) > 0,
    )
    .map((a) => ({
      kind: 'isolated_agent',
      severity: 'info',
      title: `${label(a)} is ${a.status} but sent and received nothing, while ${talking.get(a.project)} agents of ${a.project} talked`,
      agents: [a.agent_id],
      evidence: {
        sent: 0,
        received: 0,
        registered_minutes_ago: Math.floor(a.registered_minutes_ago),
        talking_peers: talking.get(a.project)!,
      },
      action:
        'Check its capabilities and topics (is anything addressed to it?), give it work or subscriptions, ' +
        'or retire it if it is no longer needed.',
    }));
}
