/**
 * Delegation trees: a parent with children completes when every child has finished (its result
 * lists the children's results); under `fail_parent` a failed child fails the parent at once and
 * cancels the unfinished siblings, under `ignore` failed children only count as finished.
 */
import type { DomainDeps } from '../deps.js';
import type { TaskService } from './service.js';
import { TERMINAL } from './transitions.js';

export async function settleParent(d: DomainDeps, tasks: TaskService, parentId: string): Promise<void> {
  const parent = await d.store.tasks.get(parentId);
  if (!parent || TERMINAL.has(parent.status)) return;
  const children = await d.store.tasks.children(parentId);
  const failed = children.find((c) => c.status === 'failed');
  if (failed && parent.childFailurePolicy === 'fail_parent') {
    const reason = `child task ${failed.id} failed${failed.failureReason ? `: ${failed.failureReason}` : ''}`;
    await tasks.settle(parentId, 'failed', { failureReason: reason }, null);
    await tasks.cascadeCancel(parentId, null, `parent task ${parentId} failed (${reason})`);
    return;
  }
  if (!children.every((c) => TERMINAL.has(c.status))) return;
  const result = {
    children: children.map((c) => ({
      task_id: c.id,
      status: c.status,
      result: c.result,
      failure_reason: c.failureReason,
    })),
  };
  await tasks.settle(parentId, 'completed', { result, progress: 100 }, null);
}
