/** Events of the tasks capability (added to HubEvent). */
import type { TaskView } from '../core/wire/index.js';

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
