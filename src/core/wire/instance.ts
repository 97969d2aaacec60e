/** The wire shape of an agent instance (a spawned CLI process), in operations and instance events. */
import { z } from 'zod';

export const instanceStatus = z.enum(['starting', 'idle', 'busy', 'stuck', 'stopping', 'stopped', 'failed']);
export type InstanceStatusName = z.infer<typeof instanceStatus>;

export const instanceView = z.object({
  instance_id: z.string(),
  agent_id: z.string(),
  name: z.string(),
  owner: z.string().nullable(),
  parent_id: z.string().nullable(),
  root_id: z.string(),
  adapter: z.string(),
  role: z.string(),
  model: z.string().nullable(),
  workspace: z.string(),
  worktree: z
    .object({
      repo: z.string(),
      branch: z.string(),
      state: z.enum(['active', 'removed', 'kept']),
      note: z.string().nullable(),
    })
    .nullable()
    .describe(
      'When the workspace is a git worktree: removed after the instance ends if clean, kept if it has uncommitted changes',
    ),
  status: instanceStatus,
  reason: z.string().nullable(),
  pid: z.number().nullable(),
  session_id: z.string().nullable(),
  limits: z.record(z.string(), z.number().optional()),
  usage: z.object({
    tokens: z.number(),
    cost_usd: z.number(),
    turns: z.number(),
    by_model: z.record(z.string(), z.unknown()),
  }),
  permission_mode: z.enum(['default', 'accept_edits', 'bypass']),
  restart: z.object({ max_restarts: z.number(), backoff_seconds: z.number() }).nullable(),
  restarts: z.number().describe('Times the restart policy relaunched the CLI'),
  delivery: z
    .object({
      mode: z.enum(['manual', 'idle', 'steer']),
      settings: z.record(z.string(), z.unknown()).nullable(),
    })
    .describe('How new mail to its agent reaches it, and the spawn’s own delivery settings'),
  exit_code: z.number().nullable(),
  exit_signal: z.string().nullable(),
  created_at: z.string(),
  last_event_at: z.string().nullable(),
  ended_at: z.string().nullable(),
});
export type InstanceView = z.infer<typeof instanceView>;

/** An instance with whether it is working now and the usage of its whole tree (instance_status). */
export const instanceStatusView = instanceView.extend({
  busy: z.boolean(),
  tree_usage: z.object({ tokens: z.number(), cost_usd: z.number(), instances: z.number() }),
});
export type InstanceStatusView = z.infer<typeof instanceStatusView>;
