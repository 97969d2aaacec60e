/**
 * Who controls a delegation tree, as pure rules: who may hang children under a task, and when its
 * children's outcomes settle it. A task's outcome belongs to the agent holding it: children added by
 * anyone else (the creator, while someone holds the task) never complete or fail it for them.
 */
import { HubError } from '../../core/errors.js';
import type { TaskRecord } from '../../store/tasks.js';
import { ACTIVE, TERMINAL } from './transitions.js';

/** The agent working on the task now, if any. */
export const holderOf = (t: TaskRecord): string | null => (ACTIVE.has(t.status) ? t.assignee : null);

/**
 * Only the parent's creator or the agent holding it (or the admin) may add children: a child of
 * someone else's task would settle that task with the child's outcome. Throws `forbidden`, naming why.
 */
export function checkMayAddChild(parent: TaskRecord, agentId: string, admin: boolean): void {
  if (admin || parent.createdBy === agentId || holderOf(parent) === agentId) return;
  const holder = holderOf(parent);
  throw new HubError(
    'forbidden',
    `parent_task_id: task ${parent.id} was created by ${parent.createdBy}` +
      `${holder ? ` and is held by ${holder}` : ''}; only its creator or the agent holding it (or the admin) ` +
      'may add children to it',
    { details: { task_id: parent.id, created_by: parent.createdBy, assignee: holder } },
  );
}

/**
 * Whether a child's outcome counts for its parent: any child while nobody holds the parent (a tree
 * its creator laid out), only the holder's own children (its delegation) while an agent holds it.
 */
export const childSettles = (parent: TaskRecord, child: TaskRecord): boolean => {
  const holder = holderOf(parent);
  return holder === null || child.createdBy === holder;
};

export type ParentOutcome =
  { status: 'failed'; reason: string; failedChild: string } | { status: 'completed'; result: unknown } | null;

/**
 * What the children make of an unfinished parent: failed when a child that counts failed under
 * `fail_parent`; completed (with every child's outcome) when all children finished and all count;
 * otherwise nothing, and the holder decides.
 */
export function parentOutcome(parent: TaskRecord, children: readonly TaskRecord[]): ParentOutcome {
  if (TERMINAL.has(parent.status) || children.length === 0) return null;
  const failed = children.find((c) => c.status === 'failed' && childSettles(parent, c));
  if (failed && parent.childFailurePolicy === 'fail_parent') {
    const reason = `child task ${failed.id} failed${failed.failureReason ? `: ${failed.failureReason}` : ''}`;
    return { status: 'failed', reason, failedChild: failed.id };
  }
  if (!children.every((c) => TERMINAL.has(c.status) && childSettles(parent, c))) return null;
  return {
    status: 'completed',
    result: {
      children: children.map((c) => ({
        task_id: c.id,
        status: c.status,
        result: c.result,
        failure_reason: c.failureReason,
      })),
    },
  };
}
