/** Operations of the workflows capability: durable multi-step runs across downstream tools and hub operations. */
import { z } from 'zod';
import { runStatus, runSummary as summary, runView as run } from '../core/wire/index.js';
import { defineOp } from './types.js';

const runId = z.string().min(1).max(100).describe('The run id (run_workflow, list_workflows)');

export const runWorkflow = defineOp({
  name: 'run_workflow',
  group: 'workflows',
  summary: 'Start a workflow: steps calling downstream tools or hub operations, with templated inputs',
  description:
    'Give definition or file (JSON/YAML under the workflows directory). Steps: {id, call, input, when?, retry?, ' +
    'retry_on_resume?, depends_on?} or {id, parallel: [steps]}; inputs may use {{inputs.NAME}}, ' +
    '{{steps.ID.output.PATH}}, {{run.id}}. Steps act as you. After a restart an in-flight step reruns only if ' +
    'read-only, idempotent or retry_on_resume. wait: return when it ends (or at timeout_seconds).',
  access: 'agent',
  blocking: true,
  http: { method: 'POST', path: '/api/v1/workflows', status: 201 },
  input: z.strictObject({
    definition: z.record(z.string(), z.unknown()).optional().describe('The workflow definition'),
    file: z.string().min(1).max(4096).optional().describe('A workflow file (.json, .yaml, .yml)'),
    inputs: z.record(z.string(), z.unknown()).optional().describe('Values for {{inputs.NAME}}'),
    wait: z.boolean().default(false),
    timeout_seconds: z.number().min(0).max(3600).optional().describe('With wait: how long at most'),
  }),
  output: run,
  async handler(ctx, input) {
    const started = await ctx.services.workflows.start(ctx.caller, {
      ...(input.definition ? { definition: input.definition } : {}),
      ...(input.file ? { file: input.file } : {}),
      ...(input.inputs ? { inputs: input.inputs } : {}),
    });
    if (!input.wait) return started as z.input<typeof run>;
    const seconds = input.timeout_seconds ?? ctx.services.workflows.defaultWaitSeconds;
    return (await ctx.services.workflows.wait(
      started.run_id,
      ctx.caller,
      seconds * 1000,
      ctx.signal,
      ctx.progress,
    )) as z.input<typeof run>;
  },
});

export const getWorkflow = defineOp({
  name: 'get_workflow',
  group: 'workflows',
  summary: 'A workflow run: its status, output, and each step’s status, output, error and attempts',
  access: 'agent',
  http: { method: 'GET', path: '/api/v1/workflows/:run_id' },
  annotations: { readOnly: true },
  input: z.strictObject({ run_id: runId }),
  output: run,
  handler: async (ctx, input) =>
    (await ctx.services.workflows.get(input.run_id, ctx.caller)) as z.input<typeof run>,
});

export const listWorkflows = defineOp({
  name: 'list_workflows',
  group: 'workflows',
  summary: 'List workflow runs, newest first (agents see the runs they started; the admin sees all)',
  access: 'agent',
  http: { method: 'GET', path: '/api/v1/workflows' },
  annotations: { readOnly: true },
  input: z.strictObject({
    status: runStatus.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  }),
  output: z.object({ runs: z.array(summary) }),
  handler: async (ctx, input) => ({
    runs: (await ctx.services.workflows.list(ctx.caller, {
      limit: input.limit,
      ...(input.status ? { status: input.status } : {}),
    })) as Array<z.input<typeof summary>>,
  }),
});

export const cancelWorkflow = defineOp({
  name: 'cancel_workflow',
  group: 'workflows',
  summary: 'Cancel a running workflow: its running step is aborted and no further step starts',
  access: 'agent',
  http: { method: 'POST', path: '/api/v1/workflows/:run_id/cancel' },
  annotations: { destructive: true },
  input: z.strictObject({ run_id: runId, reason: z.string().max(1000).optional() }),
  output: run,
  handler: async (ctx, input) =>
    (await ctx.services.workflows.cancel(input.run_id, ctx.caller, input.reason)) as z.input<typeof run>,
});

export const workflowOps = [runWorkflow, getWorkflow, listWorkflows, cancelWorkflow] as const;
