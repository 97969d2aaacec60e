/**
 * Delegation trees: a parent with children completes when every child has finished (its result
 * lists the children's results); under `fail_parent` a failed child fails the parent at once and
 * cancels the unfinished siblings, under `ignore` failed children only count as finished. While an
 * agent holds the parent only its own children settle it (see tree-rules.ts).
 */
import type { DomainDeps } from '../deps.js';
import type { TaskService } from './service.js';
import { holderOf, parentOutcome } from './tree-rules.js';

export async function settleParent(d: DomainDeps, tasks: TaskService, parentId: string): Promise<void> {
  const parent = await d.store.tasks.get(parentId);
  if (!parent) return;
  const outcome = parentOutcome(parent, await d.store.tasks.children(parentId));
  if (outcome?.status === 'failed') {
    // Decided for the parent's holder as read: a task someone else holds by now is left alone.
    const settled = await tasks.settle(
      parentId,
      'failed',
      { failureReason: outcome.reason },
      null,
      holderOf(parent),
    );
    if (settled.status === 'failed')
      await tasks.cascadeCancel(parentId, null, `parent task ${parentId} failed (${outcome.reason})`);
  } else if (outcome?.status === 'completed') {
    await tasks.settle(
      parentId,
      'completed',
      { result: outcome.result, progress: 100 },
      null,
      holderOf(parent),
    );
  }
}
