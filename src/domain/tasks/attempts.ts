/**
 * The attempt history as a domain rule, shared by every store: one attempt per claim, and which
 * moves of a task close the running attempt (with which outcome) or open a new one. Pure: it looks
 * only at the row before and after a write; the stores write what it returns in the same
 * transaction as the task row (store code never imports the domain, so the domain hands the
 * changes down with each write).
 *
 *   held → open, or held → held under a new claim   ⇒ the attempt ends `reopened`
 *   held → completed | failed | cancelled           ⇒ the attempt ends with that outcome
 *   a new claim (attempts grew, held by an agent)   ⇒ attempt number `attempts` opens
 *   work started on the running attempt             ⇒ its start time is recorded
 */
import type { AttemptChange, TaskChange, TaskDecision, TaskRecord, TaskWrite } from '../../store/tasks.js';
import { ACTIVE } from './transitions.js';

/** Statuses in which an agent holds the task (an attempt is running). */
export const HELD = ACTIVE;

/** The history changes of one write from `prev` (undefined for a new task) to `next`. */
export function attemptChanges(prev: TaskRecord | undefined, next: TaskRecord): AttemptChange[] {
  const out: AttemptChange[] = [];
  const prevAttempts = prev?.attempts ?? 0;
  if (prev && HELD.has(prev.status) && (!HELD.has(next.status) || next.attempts !== prevAttempts)) {
    const outcome = next.status === 'open' || HELD.has(next.status) ? 'reopened' : next.status;
    out.push({ kind: 'end', attempt: prevAttempts, outcome, at: next.updatedAt });
  }
  if (next.attempts > prevAttempts && next.assignee && HELD.has(next.status)) {
    out.push({
      kind: 'start',
      attempt: next.attempts,
      agentId: next.assignee,
      createdBy: next.createdBy,
      claimedAt: next.claimedAt ?? next.updatedAt,
      startedAt: next.startedAt,
    });
  } else if (next.startedAt && next.startedAt !== prev?.startedAt) {
    out.push({ kind: 'started', attempt: next.attempts, at: next.startedAt });
  }
  return out;
}

/** A new task and the history its creation writes. */
export function created(task: TaskRecord): TaskChange {
  return { task, attempts: attemptChanges(undefined, task) };
}

/** A decision with its history: what the store runs inside its write transaction. */
export function withAttempts(decide: TaskDecision): TaskWrite {
  return (current) => {
    const task = decide(current);
    return { task, attempts: task === current ? [] : attemptChanges(current, task) };
  };
}
