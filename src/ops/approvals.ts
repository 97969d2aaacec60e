/**
 * Operations of the approvals queue: held gateway calls and relayed Claude Code permission prompts.
 * Deciders: the admin, or an agent granted `approvals` (its own project's, never its own requests).
 * Requesters: `switchboard mcp --permission-relay` opens a prompt, waits for it, closes it.
 */
import { z } from 'zod';
import {
  approvalGrantView as grant,
  approvalKind,
  approvalStatus,
  approvalView as approval,
} from '../core/wire/index.js';
import { actingAgent } from './acting.js';
import { actingAgentId, idString } from './schemas.js';
import { defineOp } from './types.js';

const WHO =
  'The admin sees and decides all; an agent granted approvals (grant_approvals) those of its own project, not its own.';

export const listApprovals = defineOp({
  name: 'list_approvals',
  group: 'gateway',
  summary:
    'List the approvals queue: held downstream calls and Claude Code permission prompts, and past decisions',
  description: `Pending ones wait for approve_call or deny_call until expires_at. ${WHO}`,
  access: 'agent',
  http: { method: 'GET', path: '/api/v1/gateway/approvals' },
  annotations: { readOnly: true },
  input: z.strictObject({
    status: approvalStatus.optional().describe('Only approvals in this state'),
    kind: approvalKind.optional().describe('Only this kind'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  }),
  output: z.object({ approvals: z.array(approval) }),
  handler: async (ctx, input) => ({
    approvals: await ctx.services.approvals.list(ctx.caller, {
      ...(input.status ? { status: input.status } : {}),
      ...(input.kind ? { kind: input.kind } : {}),
      limit: input.limit,
    }),
  }),
});

const decision = z.strictObject({
  id: z.string().min(1).max(100).describe('The approval id (list_approvals)'),
  reason: z.string().max(1000).optional().describe('Recorded with the decision'),
});

export const approveCall = defineOp({
  name: 'approve_call',
  group: 'gateway',
  summary: 'Approve a held downstream call (it runs) or a permission prompt (the session gets allow)',
  description: WHO,
  access: 'agent',
  http: { method: 'POST', path: '/api/v1/gateway/approvals/:id/approve' },
  annotations: { idempotent: false },
  input: decision,
  output: z.object({ approval }),
  handler: async (ctx, input) => ({
    approval: await ctx.services.approvals.decide(ctx.caller, input.id, true, input.reason ?? null),
  }),
});

export const denyCall = defineOp({
  name: 'deny_call',
  group: 'gateway',
  summary:
    'Deny a held downstream call (its caller gets forbidden) or a permission prompt (the session gets deny)',
  description: WHO,
  access: 'agent',
  http: { method: 'POST', path: '/api/v1/gateway/approvals/:id/deny' },
  annotations: { idempotent: false },
  input: decision,
  output: z.object({ approval }),
  handler: async (ctx, input) => ({
    approval: await ctx.services.approvals.decide(ctx.caller, input.id, false, input.reason ?? null),
  }),
});

/** No control characters but tab, newline and carriage return. */
// eslint-disable-next-line no-control-regex -- control characters are what this refuses
const NO_CONTROL = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/;

/** Free text of a prompt: bounded, no control characters but tab and line breaks. */
const promptText = (field: string, max: number, min = 0) =>
  z
    .string()
    .min(min, `${field}: at least ${min} character`)
    .max(max, `${field}: at most ${max} characters`)
    .regex(NO_CONTROL, `${field}: no control characters (tab and line breaks are fine)`);

export const requestPermission = defineOp({
  name: 'request_permission',
  group: 'gateway',
  summary: 'Put your Claude Code session’s permission prompt on the approvals queue (the permission relay)',
  description:
    'Used by switchboard mcp --permission-relay. Returns the pending approval; it times out at expires_at ' +
    '(gateway.approvals.permissionTimeoutSeconds). The same request_id while pending returns the same approval.',
  access: 'agent',
  http: { method: 'POST', path: '/api/v1/gateway/permissions', status: 201 },
  annotations: { idempotent: true },
  input: z.strictObject({
    agent_id: actingAgentId,
    request_id: z
      .string()
      .regex(
        /^[a-z0-9]{1,32}$/,
        'request_id: 1-32 lower-case letters or digits (Claude Code sends five letters)',
      )
      .describe('Claude Code’s id of the prompt'),
    tool_name: promptText('tool_name', 200, 1).describe('The tool the session wants to run'),
    description: promptText('description', 2000).describe('What the tool is about to do'),
    input_preview: promptText('input_preview', 4000).describe('The tool input as previewed (truncated JSON)'),
  }),
  output: z.object({ approval }),
  async handler(ctx, input) {
    const me = await actingAgent(ctx, input.agent_id);
    return {
      approval: await ctx.services.approvals.request(me, ctx.caller, {
        requestId: input.request_id,
        toolName: input.tool_name,
        description: input.description,
        inputPreview: input.input_preview,
      }),
    };
  },
});

export const waitForApproval = defineOp({
  name: 'wait_for_approval',
  group: 'gateway',
  summary: 'Wait until an approval you requested is decided; returns it then, or as it is at the timeout',
  description:
    'Only the requesting agent (or the admin) may wait. timeout_seconds defaults to 25, at most 300.',
  access: 'agent',
  blocking: true,
  http: { method: 'POST', path: '/api/v1/gateway/approvals/:id/wait' },
  annotations: { readOnly: true },
  input: z.strictObject({
    id: idString.describe('The approval id (request_permission)'),
    timeout_seconds: z.number().min(0).max(300).default(25),
  }),
  output: z.object({ approval }),
  async handler(ctx, input) {
    const progress = ctx.progress;
    return {
      approval: await ctx.services.approvals.wait(ctx.caller, input.id, {
        timeoutMs: input.timeout_seconds * 1000,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        ...(progress
          ? { progress: (s: number, total: number) => progress(s, total, `waiting for approval (${s}s)`) }
          : {}),
      }),
    };
  },
});

export const closePermissionRequest = defineOp({
  name: 'close_permission_request',
  group: 'gateway',
  summary: 'Withdraw your pending permission prompt (the session ended or answered it): cancelled',
  access: 'agent',
  http: { method: 'POST', path: '/api/v1/gateway/approvals/:id/close' },
  annotations: { idempotent: false },
  input: z.strictObject({
    id: idString.describe('The approval id (request_permission)'),
    reason: z.string().max(1000).optional().describe('Recorded with the cancellation'),
  }),
  output: z.object({ approval }),
  handler: async (ctx, input) => ({
    approval: await ctx.services.approvals.close(ctx.caller, input.id, input.reason ?? null),
  }),
});

export const grantApprovals = defineOp({
  name: 'grant_approvals',
  group: 'gateway',
  summary:
    'Let an agent see and decide the approvals of its own project (list_approvals, approve_call, deny_call)',
  access: 'admin',
  http: { method: 'POST', path: '/api/v1/gateway/approval-grants' },
  annotations: { idempotent: true },
  input: z.strictObject({ agent_id: idString.describe('The agent to grant') }),
  output: z.object({ grant }),
  handler: async (ctx, input) => ({ grant: await ctx.services.approvals.grant(input.agent_id, ctx.caller) }),
});

export const revokeApprovals = defineOp({
  name: 'revoke_approvals',
  group: 'gateway',
  summary: 'Take back an agent’s approvals grant',
  access: 'admin',
  http: { method: 'DELETE', path: '/api/v1/gateway/approval-grants/:agent_id' },
  annotations: { idempotent: false, destructive: true },
  input: z.strictObject({ agent_id: idString.describe('The agent') }),
  output: z.object({ revoked: z.string().describe('The agent whose grant was taken back') }),
  handler: async (ctx, input) => ctx.services.approvals.revoke(input.agent_id),
});

export const listGrants = defineOp({
  name: 'list_grants',
  group: 'gateway',
  summary: 'List the agents granted approvals, with their project',
  access: 'admin',
  http: { method: 'GET', path: '/api/v1/gateway/approval-grants' },
  annotations: { readOnly: true },
  input: z.strictObject({}),
  output: z.object({ grants: z.array(grant) }),
  handler: async (ctx) => ({ grants: await ctx.services.approvals.grants() }),
});

export const approvalOps = [
  listApprovals,
  approveCall,
  denyCall,
  requestPermission,
  waitForApproval,
  closePermissionRequest,
  grantApprovals,
  revokeApprovals,
  listGrants,
] as const;
