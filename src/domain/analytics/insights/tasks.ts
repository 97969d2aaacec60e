/**
 * Tasks that keep re-opening: a task given back to the queue (a retryable failure, a lease that ran
 * out, its holder retired) at least REOPENING.min times over the range.
 */
import type { Finding } from './finding.js';

export const REOPENING = {
  min: 3,
  /** Critical from this many re-opens on. */
  critical: 6,
};

export interface ReopenedTask {
  task_id: string;
  title: string;
  status: string;
  /** Attempts that ended with the task back in the queue, over the range. */
  reopens: number;
  attempts: number;
  max_attempts: number;
  /** Agents that held it, in the order of their first attempt. */
  agents: string[];
}

export function reopeningFindings(tasks: readonly ReopenedTask[]): Finding[] {
  return tasks
    .filter((t) => t.reopens >= REOPENING.min)
    .map((t) => ({
      kind: 'reopening_task',
      severity: t.reopens >= REOPENING.critical ? 'critical' : 'warning',
      title: `Task "${t.title}" (${t.task_id}) re-opened ${t.reopens} times (${t.attempts} of ${t.max_attempts} attempts, now ${t.status})`,
      agents: t.agents,
      evidence: { reopens: t.reopens, attempts: t.attempts, max_attempts: t.max_attempts },
      action:
        'Read why each attempt ended (get_task: failure reasons, lease expiries): split the task, ' +
        'give it a longer lease_seconds, clarify its input, or hand it to an agent with the capability.',
    }));
}
