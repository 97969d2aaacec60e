/**
 * Which agents to ask for a capability, ranked. Each candidate gets a score in [0, 1], the weighted
 * sum of five parts, each in [0, 1]:
 * - success (0.3): tasks completed / (completed + failed); 0.5 when it has finished none;
 * - response (0.15): 1 / (1 + mean seconds it took to answer a request); 0.5 when it never answered;
 * - load (0.2): 1 / (1 + unread backlog + tasks held);
 * - presence (0.25): active 1, busy 0.6, idle 0.4, offline 0;
 * - closeness (0.1): 1 / hops from `for_agent` in the graph (direction ignored); 0 when not linked,
 *   and left out (0 for all) without `for_agent`.
 * Retired agents are never recommended. Ties go to the name, then the id.
 */
import { undirectedSingleSourceLength } from 'graphology-shortest-path/unweighted.js';
import { HubError } from '../../core/errors.js';
import { type CommGraph, round } from './build.js';

export const WEIGHTS = { success: 0.3, response: 0.15, load: 0.2, presence: 0.25, closeness: 0.1 };
const PRESENCE: Record<string, number> = { active: 1, busy: 0.6, idle: 0.4, offline: 0 };

export interface Recommendation {
  rank: number;
  agent_id: string;
  name: string;
  status: string;
  score: number;
  success_rate: number | null;
  tasks_completed: number;
  tasks_failed: number;
  mean_response_ms: number | null;
  backlog: number;
  held_tasks: number;
  hops: number | null;
  parts: { success: number; response: number; load: number; presence: number; closeness: number };
  reason: string;
}

/** Mean latency of the responses the agent gave, over its in-edges. */
function responseMs(g: CommGraph, id: string): number | null {
  let sum = 0;
  let n = 0;
  g.forEachInEdge(id, (_e, a) => {
    sum += a.latencyMsSum;
    n += a.latencyCount;
  });
  return n ? sum / n : null;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

export function recommendAgents(
  g: CommGraph,
  capability: string,
  forAgent?: string,
  limit = 10,
): Recommendation[] {
  if (forAgent !== undefined && !g.hasNode(forAgent))
    throw new HubError('not_found', `No agent ${forAgent} in the graph you can see (for_agent)`);
  const hopsFrom = forAgent !== undefined ? undirectedSingleSourceLength(g, forAgent) : {};
  const candidates = g.filterNodes(
    (id, a) => id !== forAgent && a.status !== 'retired' && a.capabilities.includes(capability),
  );
  const rows = candidates.map((id) => {
    const a = g.getNodeAttributes(id);
    const finished = a.tasksCompleted + a.tasksFailed;
    const success = finished ? a.tasksCompleted / finished : null;
    const ms = responseMs(g, id);
    const hops = forAgent !== undefined ? (hopsFrom[id] ?? null) : null;
    const parts = {
      success: round(success ?? 0.5),
      response: round(ms === null ? 0.5 : 1 / (1 + ms / 1000)),
      load: round(1 / (1 + a.backlog + a.heldTasks)),
      presence: PRESENCE[a.status] ?? 0,
      closeness: hops ? round(1 / hops) : 0,
    };
    const score = round(
      (Object.keys(WEIGHTS) as Array<keyof typeof WEIGHTS>).reduce((s, k) => s + WEIGHTS[k] * parts[k], 0),
    );
    const reason = [
      finished
        ? `completed ${a.tasksCompleted} of ${finished} tasks (${pct(success!)})`
        : 'no finished tasks yet',
      ms === null ? 'never answered a request' : `answers in ${round(ms, 1)} ms on average`,
      `load ${a.backlog + a.heldTasks} (${a.backlog} unread, ${a.heldTasks} tasks held)`,
      a.status,
      forAgent === undefined
        ? null
        : hops === null
          ? `not linked to ${forAgent}`
          : `${hops} hop(s) from ${forAgent}`,
    ]
      .filter(Boolean)
      .join('; ');
    return {
      rank: 0,
      agent_id: id,
      name: a.name,
      status: a.status,
      score,
      success_rate: success === null ? null : round(success),
      tasks_completed: a.tasksCompleted,
      tasks_failed: a.tasksFailed,
      mean_response_ms: ms === null ? null : round(ms, 1),
      backlog: a.backlog,
      held_tasks: a.heldTasks,
      hops,
      parts,
      reason,
    };
  });
  rows.sort(
    (x, y) => y.score - x.score || x.name.localeCompare(y.name) || x.agent_id.localeCompare(y.agent_id),
  );
  return rows
    .slice(0, limit)
    .map((r, i) => ({ ...r, rank: i + 1, reason: `#${i + 1}, score ${r.score}: ${r.reason}` }));
}
