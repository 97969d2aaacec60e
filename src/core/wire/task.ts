/** The wire shape of a task, on every surface and in task events: the zod schema and its type. */
import { z } from 'zod';

export const taskStatus = z.enum([
  'open',
  'claimed',
  'in_progress',
  'input_required',
  'completed',
  'failed',
  'cancelled',
]);

export const artifact = z.strictObject({
  name: z.string().min(1).max(256),
  uri: z.string().max(2048).optional(),
  mime_type: z.string().max(128).optional(),
  description: z.string().max(2000).optional(),
});

export const taskView = z.object({
  task_id: z.string(),
  title: z.string(),
  description: z.string().nullable(),
  input: z.unknown(),
  required_capabilities: z.array(z.string()),
  priority: z.number().int(),
  deadline: z.string().nullable(),
  parent_task_id: z.string().nullable(),
  thread_id: z.string().nullable().describe('The thread it came out of, if named'),
  child_failure_policy: z.enum(['fail_parent', 'ignore']),
  project: z.string(),
  status: taskStatus,
  created_by: z.string(),
  assignee: z.string().nullable(),
  attempts: z.number().int(),
  max_attempts: z.number().int(),
  lease_seconds: z.number().int(),
  lease_expires_at: z.string().nullable(),
  progress: z.number().nullable(),
  progress_note: z.string().nullable(),
  question: z.string().nullable(),
  answer: z.unknown(),
  result: z.unknown(),
  artifacts: z.array(artifact),
  failure_reason: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  claimed_at: z.string().nullable(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  version: z.number().int(),
});
export type TaskView = z.infer<typeof taskView>;

/** One agent's task record (task_stats). */
export const taskStatsView = z.object({
  agent_id: z.string(),
  claimed: z.number().int(),
  completed: z.number().int(),
  failed: z.number().int(),
  reopened: z.number().int(),
  mean_seconds_to_complete: z.number().nullable(),
});
export type TaskStatsView = z.infer<typeof taskStatsView>;
