/**
 * The wire shape of an approval (a held gateway call or a relayed permission prompt): the zod schema
 * and its type.
 */
import { z } from 'zod';

export const approvalStatus = z.enum(['pending', 'approved', 'denied', 'timed_out', 'cancelled', 'failed']);
export const approvalKind = z.enum(['gateway_call', 'permission']);

export const approvalView = z.object({
  id: z.string(),
  kind: approvalKind.describe(
    'gateway_call: a held downstream call; permission: a session’s permission prompt',
  ),
  agent_id: z.string().nullable().describe('The requesting agent (null: the admin)'),
  project: z.string().nullable().describe('The requesting agent’s project'),
  tool: z.string().describe('The namespaced tool the call is for, or the tool the prompt asks about'),
  server: z.string().describe('The downstream server, or claude-code for a permission prompt'),
  args: z.record(z.string(), z.unknown()),
  request_id: z.string().nullable().describe('Permission prompts: Claude Code’s request id'),
  description: z.string().nullable().describe('Permission prompts: what the tool is about to do'),
  input_preview: z.string().nullable().describe('Permission prompts: the tool input, truncated JSON'),
  rule: z.string().nullable().describe('Why it was held'),
  correlation_id: z.string(),
  requested_by: z.string(),
  requested_at: z.string(),
  expires_at: z.string().describe('When it times out if nobody decides'),
  status: approvalStatus,
  decided_by: z.string().nullable(),
  decided_at: z.string().nullable(),
  reason: z.string().nullable(),
  node_id: z
    .string()
    .nullable()
    .describe('Held calls: the hub node holding the call (failed, naming it, when that node stops)'),
});
export type ApprovalView = z.infer<typeof approvalView>;

/** An agent the admin allowed to decide the approvals of its own project. */
export const approvalGrantView = z.object({
  agent_id: z.string(),
  project: z.string().nullable().describe('The project whose approvals it decides (its current one)'),
  granted_by: z.string(),
  granted_at: z.string(),
});
export type GrantView = z.infer<typeof approvalGrantView>;
