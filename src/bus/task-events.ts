/** Events of the tasks capability (added to HubEvent). */

/** A task as clients see it on every surface. */
export interface TaskView {
  task_id: string;
  title: string;
  description: string | null;
  input: unknown;
  required_capabilities: string[];
  priority: number;
  deadline: string | null;
  parent_task_id: string | null;
  thread_id: string | null;
  child_failure_policy: 'fail_parent' | 'ignore';
  project: string;
  status: 'open' | 'claimed' | 'in_progress' | 'input_required' | 'completed' | 'failed' | 'cancelled';
  created_by: string;
  assignee: string | null;
  attempts: number;
  max_attempts: number;
  lease_seconds: number;
  lease_expires_at: string | null;
  progress: number | null;
  progress_note: string | null;
  question: string | null;
  answer: unknown;
  result: unknown;
  artifacts: Array<{ name: string; uri?: string; mime_type?: string; description?: string }>;
  failure_reason: string | null;
  created_at: string;
  updated_at: string;
  claimed_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  version: number;
}

export type TaskEventType =
  | 'task.created'
  | 'task.claimed'
  | 'task.started'
  | 'task.progress'
  | 'task.input_required'
  | 'task.input_provided'
  | 'task.completed'
  | 'task.failed'
  | 'task.cancelled'
  | 'task.reopened';

/**
 * One per transition, after it committed: hub-wide and on the channels of the creator and the
 * assignee (and of the previous holder when a task is taken away). `by`: the agent that caused it
 * (null: the hub itself, e.g. a lease that ran out, or the admin).
 */
export type TaskEvent = {
  type: TaskEventType;
  at: string;
  by: string | null;
  task: TaskView;
};
