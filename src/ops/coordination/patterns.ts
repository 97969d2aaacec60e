/** Operations for the patterns built on tasks: fan_out and run_pipeline. */
import { z } from 'zod';
import { actingAgent } from '../acting.js';
import { actingAgentId, idString } from '../schemas.js';
import { taskStatus } from '../../core/wire/index.js';
import { capability } from '../task-schemas.js';
import { defineOp } from '../types.js';

const waitSeconds = z
  .number()
  .positive()
  .max(300)
  .optional()
  .describe('The deadline, in seconds from now (default 25, at most 300)');

const answer = z.object({
  agent_id: z.string(),
  task_id: z.string(),
  status: taskStatus,
  result: z.unknown(),
  failure_reason: z.string().nullable(),
  finished_at: z.string().nullable(),
});

export const fanOutOp = defineOp({
  name: 'fan_out',
  group: 'coordination',
  summary:
    'Give one task to several agents (named, or all with a capability) and collect all, the first, or a quorum',
  description:
    'One child task per agent under a parent task; blocks until collect is met (all finished, first or k ' +
    'completed), can no longer be, or the deadline passes (unanswered tasks are then cancelled). Returns ' +
    'results in arrival order, failed and pending.',
  access: 'agent',
  blocking: true,
  http: { method: 'POST', path: '/api/v1/fan-out' },
  input: z.strictObject({
    agent_id: actingAgentId,
    title: z.string().min(1).max(500),
    description: z.string().max(20_000).optional().describe('The instruction every agent gets'),
    input: z.unknown().optional().describe('Any JSON each task gets as its input'),
    agents: z.array(idString).min(1).max(100).optional().describe('The agents to give the task to'),
    capability: capability.optional().describe('Or: every active agent with this capability (you aside)'),
    collect: z.enum(['all', 'first', 'quorum']).optional().describe('What to wait for (default all)'),
    quorum: z.number().int().min(1).optional().describe('k, for collect quorum: completed answers needed'),
    timeout_seconds: waitSeconds,
  }),
  output: z.object({
    parent_task_id: z.string(),
    collect: z.enum(['all', 'first', 'quorum']),
    needed: z.number().int().describe('Completed answers needed'),
    met: z.boolean().describe('True when at least `needed` tasks completed'),
    timed_out: z.boolean(),
    results: z.array(answer).describe('Completed tasks, in the order they completed'),
    failed: z.array(answer),
    pending: z.array(z.object({ agent_id: z.string(), task_id: z.string(), status: taskStatus })),
  }),
  async handler(ctx, input) {
    const me = await actingAgent(ctx, input.agent_id);
    const { agent_id: _a, ...rest } = input;
    return ctx.services.coordination.fanOut(me, rest, ctx.signal, ctx.progress);
  },
});

const stage = z.strictObject({
  agent: idString.optional().describe('The agent that runs this stage'),
  capability: capability.optional().describe('Or: routed to an active agent with this capability'),
  instruction: z.string().min(1).max(20_000).describe('What this stage does (the task description)'),
  title: z.string().min(1).max(500).optional(),
});

export const runPipelineOp = defineOp({
  name: 'run_pipeline',
  group: 'coordination',
  summary: 'Run ordered stages on agents, each stage’s result becoming the next stage’s input',
  description:
    'Each stage is a task (under one parent) for a named agent or one routed by capability. Stage 1 gets input; ' +
    'each later stage the result before it. on_failure stop (default) skips the rest; continue passes the failed ' +
    'stage’s input on. One deadline for the run. Blocks until done.',
  access: 'agent',
  blocking: true,
  http: { method: 'POST', path: '/api/v1/pipelines' },
  input: z.strictObject({
    agent_id: actingAgentId,
    title: z.string().min(1).max(500),
    input: z.unknown().optional().describe('Stage 1’s task input'),
    stages: z.array(stage).min(1).max(20),
    on_failure: z.enum(['stop', 'continue']).optional(),
    timeout_seconds: waitSeconds,
  }),
  output: z.object({
    parent_task_id: z.string(),
    status: z.enum(['completed', 'failed', 'timed_out']),
    output: z.unknown().describe('The last completed stage’s result'),
    stages: z.array(
      z.object({
        stage: z.number().int(),
        task_id: z.string().nullable(),
        agent_id: z.string().nullable(),
        status: z.union([taskStatus, z.literal('skipped')]),
        input: z.unknown(),
        result: z.unknown(),
        failure_reason: z.string().nullable(),
      }),
    ),
  }),
  async handler(ctx, input) {
    const me = await actingAgent(ctx, input.agent_id);
    const { agent_id: _a, ...rest } = input;
    return ctx.services.coordination.runPipeline(me, rest, ctx.signal, ctx.progress);
  },
});
