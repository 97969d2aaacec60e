/** TaskRecord → the wire view. */
import type { TaskView } from '../../core/wire/index.js';
import type { TaskRecord } from '../../store/tasks.js';

export function taskView(t: TaskRecord): TaskView {
  return {
    task_id: t.id,
    title: t.title,
    description: t.description,
    input: t.input,
    required_capabilities: t.requiredCapabilities,
    priority: t.priority,
    deadline: t.deadline,
    parent_task_id: t.parentId,
    thread_id: t.threadId,
    child_failure_policy: t.childFailurePolicy,
    project: t.project,
    status: t.status,
    created_by: t.createdBy,
    assignee: t.assignee,
    attempts: t.attempts,
    max_attempts: t.maxAttempts,
    lease_seconds: t.leaseSeconds,
    lease_expires_at: t.leaseExpiresAt,
    progress: t.progress,
    progress_note: t.progressNote,
    question: t.question,
    answer: t.answer,
    result: t.result,
    artifacts: t.artifacts,
    failure_reason: t.failureReason,
    created_at: t.createdAt,
    updated_at: t.updatedAt,
    claimed_at: t.claimedAt,
    started_at: t.startedAt,
    finished_at: t.finishedAt,
    version: t.version,
  };
}
