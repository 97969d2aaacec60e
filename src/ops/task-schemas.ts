/** Zod shapes of the task operations: the task view, statuses, artifacts. */
import { z } from 'zod';
import { HubError } from '../core/errors.js';
import type { Actor } from '../domain/tasks/service.js';
import type { OpContext } from './types.js';

export const taskStatus = z.enum([
  'open',
  'claimed',
  'in_progress',
  'input_required',
  'completed',
  'failed',
  'cancelled',
]);

export const taskId = z.string().min(1).max(128).describe('A task id (tsk_...)');

export const capability = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/,
    'a capability is 1-64 letters, digits, ".", "_", ":", "/" or "-"',
  );

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

export const taskResult = z.object({ task: taskView });

/** The caller as an agent, or null for the admin (who may read and cancel without naming an agent). */
export async function actorOf(ctx: OpContext, named?: string): Promise<Actor> {
  const { caller } = ctx;
  if (caller.kind === 'agent') {
    if (named !== undefined && named !== caller.agentId) {
      throw new HubError(
        'forbidden',
        `You are authenticated as agent ${caller.agentId} and cannot act as ${named}`,
      );
    }
    return ctx.services.agents.requireActive(caller.agentId);
  }
  if (caller.kind === 'admin') return named ? ctx.services.agents.requireActive(named) : null;
  throw new HubError(
    'unauthorized',
    'This needs an agent identity: send Authorization: Bearer <agent token>',
  );
}
