/** Operations of the tasks capability: create, list, claim, progress, finish, ask back, wait, stats. */
import { z } from 'zod';
import { HubError } from '../core/errors.js';
import { actingAgent } from './acting.js';
import { actingAgentId, idString, limit } from './schemas.js';
import { artifact, taskStatsView, taskStatus, taskView } from '../core/wire/index.js';
import { actorOf, capability, taskId, taskResult } from './task-schemas.js';
import { defineOp } from './types.js';

const json = z.unknown();

export const createTask = defineOp({
  name: 'create_task',
  group: 'tasks',
  summary: 'Post a task: open for any capable agent, assigned to one, or routed automatically',
  description:
    'Open unless assignee or route is given: any agent with all required capabilities may claim it (one wins); ' +
    'route "auto" picks the least busy capable agent or leaves it open. A holder must update_task within ' +
    "lease_seconds or it re-opens (up to max_attempts). A child (parent_task_id, added by the parent's creator " +
    "or holder) settles its parent with its siblings; while the parent is held, only its holder's children do.",
  access: 'agent',
  http: { method: 'POST', path: '/api/v1/tasks', status: 201 },
  input: z.strictObject({
    agent_id: actingAgentId,
    title: z.string().min(1).max(500),
    description: z.string().max(20_000).optional(),
    input: json.optional().describe('Any JSON the worker needs'),
    required_capabilities: z.array(capability).max(32).optional(),
    priority: z
      .number()
      .int()
      .min(-1000)
      .max(1000)
      .optional()
      .describe('Higher is claimed first (default 0)'),
    deadline: z.iso.datetime({ offset: true }).optional().describe('ISO-8601 time'),
    parent_task_id: taskId.optional(),
    child_failure_policy: z.enum(['fail_parent', 'ignore']).optional(),
    thread_id: idString.optional().describe('The thread this task comes out of (one you take part in)'),
    assignee: idString.optional().describe('Direct assignment: the agent that gets the task'),
    route: z.literal('auto').optional(),
    max_attempts: z.number().int().min(1).max(100).optional(),
    lease_seconds: z.number().int().min(1).max(86_400).optional(),
    announce: z
      .boolean()
      .optional()
      .describe(
        'Open tasks only: also send a task_proposal message to every active agent that could take it; ' +
          'replying with type task_accept and correlation_id = task_id claims it',
      ),
  }),
  output: taskResult.extend({
    announced_to: z.array(z.string()).optional(),
    routed: z.boolean().optional().describe('route: "auto" only: whether an agent got the task'),
    route_reason: z.string().optional().describe('Why no agent got it (routed: false)'),
  }),
  async handler(ctx, input) {
    const me = await actingAgent(ctx, input.agent_id);
    const { agent_id: _a, announce, ...rest } = input;
    if (announce && (rest.assignee !== undefined || rest.route !== undefined)) {
      throw new HubError(
        'invalid_input',
        'announce: only an open task is announced; leave out assignee and route',
      );
    }
    const posted = await ctx.services.tasks.post(me, rest, { admin: ctx.caller.kind === 'admin' });
    if (!announce) return posted;
    return { ...posted, announced_to: await ctx.services.tasks.announce(me, posted.task) };
  },
});

export const listTasks = defineOp({
  name: 'list_tasks',
  group: 'tasks',
  summary: 'Tasks of your project, newest first, by status, assignee, capability, creator or parent',
  access: 'agent',
  http: { method: 'GET', path: '/api/v1/tasks' },
  annotations: { readOnly: true },
  input: z.strictObject({
    status: z
      .union([taskStatus, z.array(taskStatus).max(7)])
      .optional()
      .describe('One status ("open") or a list (["open", "claimed"]; REST: status=open,claimed)'),
    assignee: idString.optional(),
    capability: capability.optional(),
    created_by: idString.optional(),
    parent_task_id: taskId.optional(),
    limit: limit(1000, 100),
  }),
  output: z.object({ tasks: z.array(taskView), total: z.number().int() }),
  async handler(ctx, input) {
    const status = typeof input.status === 'string' ? [input.status] : input.status;
    const tasks = await ctx.services.tasks.list(await actorOf(ctx), { ...input, status });
    return { tasks, total: tasks.length };
  },
});

export const getTask = defineOp({
  name: 'get_task',
  group: 'tasks',
  summary: 'One task with its state, holder, progress, result and times',
  access: 'agent',
  http: { method: 'GET', path: '/api/v1/tasks/:task_id' },
  annotations: { readOnly: true },
  input: z.strictObject({ task_id: taskId }),
  output: taskResult,
  async handler(ctx, input) {
    return { task: await ctx.services.tasks.get(await actorOf(ctx), input.task_id) };
  },
});

export const listTaskAttempts = defineOp({
  name: 'list_task_attempts',
  group: 'tasks',
  summary: 'A task’s claims in order: who held each attempt, when, and how it ended (re-opens included)',
  description:
    'outcome: completed, failed, cancelled, reopened (the lease ran out, the holder gave it back or was ' +
    'retired), or null while the attempt runs. The task’s failure_reason says why the latest one ended.',
  access: 'agent',
  http: { method: 'GET', path: '/api/v1/tasks/:task_id/attempts' },
  annotations: { readOnly: true },
  input: z.strictObject({ task_id: taskId }),
  output: z.object({
    attempts: z.array(
      z.object({
        attempt: z.number().int(),
        agent_id: z.string(),
        claimed_at: z.string(),
        started_at: z.string().nullable(),
        ended_at: z.string().nullable(),
        outcome: z.string().nullable(),
      }),
    ),
  }),
  async handler(ctx, input) {
    const rows = await ctx.services.tasks.attempts(await actorOf(ctx), input.task_id);
    return {
      attempts: rows.map((a) => ({
        attempt: a.attempt,
        agent_id: a.agentId,
        claimed_at: a.claimedAt,
        started_at: a.startedAt,
        ended_at: a.endedAt,
        outcome: a.outcome,
      })),
    };
  },
});

export const claimTask = defineOp({
  name: 'claim_task',
  group: 'tasks',
  summary: 'Claim a task (or, without task_id, the best open one you have the capabilities for)',
  description:
    'Atomic: among concurrent claimers exactly one wins; the others get a conflict naming the winner. ' +
    'The claim is a lease: send update_task within the task’s lease_seconds to keep it. Without task_id ' +
    'answers {task: null} when no open task fits (REST: POST /api/v1/ops/claim_task with {}).',
  access: 'agent',
  http: { method: 'POST', path: '/api/v1/tasks/:task_id/claim' },
  input: z.strictObject({ agent_id: actingAgentId, task_id: taskId.optional() }),
  output: z.object({ task: taskView.nullable() }),
  async handler(ctx, input) {
    const me = await actingAgent(ctx, input.agent_id);
    const tasks = ctx.services.tasks;
    return { task: input.task_id ? await tasks.claim(me, input.task_id) : await tasks.claimNext(me) };
  },
});

export const updateTask = defineOp({
  name: 'update_task',
  group: 'tasks',
  summary: 'Report progress on a task you hold; renews its lease (claimed → in_progress)',
  access: 'agent',
  http: { method: 'POST', path: '/api/v1/tasks/:task_id/update' },
  input: z.strictObject({
    agent_id: actingAgentId,
    task_id: taskId,
    progress: z.number().min(0).max(100).optional().describe('Percent done'),
    note: z.string().max(2000).optional(),
  }),
  output: taskResult,
  async handler(ctx, input) {
    const me = await actingAgent(ctx, input.agent_id);
    return { task: await ctx.services.tasks.update(me, input.task_id, input.progress, input.note) };
  },
});

export const completeTask = defineOp({
  name: 'complete_task',
  group: 'tasks',
  summary: 'Finish a task you hold with its result and artifacts',
  access: 'agent',
  http: { method: 'POST', path: '/api/v1/tasks/:task_id/complete' },
  input: z.strictObject({
    agent_id: actingAgentId,
    task_id: taskId,
    result: json.optional().describe('Any JSON'),
    artifacts: z.array(artifact).max(100).optional(),
  }),
  output: taskResult,
  async handler(ctx, input) {
    const me = await actingAgent(ctx, input.agent_id);
    return {
      task: await ctx.services.tasks.complete(me, input.task_id, input.result, input.artifacts ?? []),
    };
  },
});

export const failTask = defineOp({
  name: 'fail_task',
  group: 'tasks',
  summary: 'Give up a task you hold: retryable re-opens it while attempts remain, else it fails',
  access: 'agent',
  http: { method: 'POST', path: '/api/v1/tasks/:task_id/fail' },
  input: z.strictObject({
    agent_id: actingAgentId,
    task_id: taskId,
    reason: z.string().min(1).max(2000),
    retryable: z.boolean().optional(),
  }),
  output: taskResult,
  async handler(ctx, input) {
    const me = await actingAgent(ctx, input.agent_id);
    return { task: await ctx.services.tasks.fail(me, input.task_id, input.reason, input.retryable) };
  },
});

export const cancelTask = defineOp({
  name: 'cancel_task',
  group: 'tasks',
  summary: 'Cancel a task you created (the admin: any), with every unfinished task below it',
  access: 'agent',
  http: { method: 'POST', path: '/api/v1/tasks/:task_id/cancel' },
  input: z.strictObject({
    agent_id: actingAgentId,
    task_id: taskId,
    reason: z.string().max(2000).optional(),
  }),
  output: taskResult,
  async handler(ctx, input) {
    const actor = await actorOf(ctx, input.agent_id);
    return { task: await ctx.services.tasks.cancel(actor, input.task_id, input.reason) };
  },
});

export const requestInput = defineOp({
  name: 'request_input',
  group: 'tasks',
  summary: 'Ask the creator of a task you hold a question; the task waits (input_required)',
  description: 'The lease pauses while the task waits; provide_input resumes it. Watch with wait_for_task.',
  access: 'agent',
  http: { method: 'POST', path: '/api/v1/tasks/:task_id/request-input' },
  input: z.strictObject({
    agent_id: actingAgentId,
    task_id: taskId,
    question: z.string().min(1).max(20_000),
  }),
  output: taskResult,
  async handler(ctx, input) {
    const me = await actingAgent(ctx, input.agent_id);
    return { task: await ctx.services.tasks.requestInput(me, input.task_id, input.question) };
  },
});

export const provideInput = defineOp({
  name: 'provide_input',
  group: 'tasks',
  summary: 'Answer the question of a task you created; it resumes (in_progress)',
  access: 'agent',
  http: { method: 'POST', path: '/api/v1/tasks/:task_id/provide-input' },
  input: z.strictObject({ agent_id: actingAgentId, task_id: taskId, answer: json.describe('Any JSON') }),
  output: taskResult,
  async handler(ctx, input) {
    const actor = await actorOf(ctx, input.agent_id);
    return { task: await ctx.services.tasks.provideInput(actor, input.task_id, input.answer ?? null) };
  },
});

export const waitForTask = defineOp({
  name: 'wait_for_task',
  group: 'tasks',
  summary: 'Block until a task changes state (or finishes, with until: "finished") or the timeout passes',
  description:
    'Returns at once if the task changed after after_version (default: its version now) or has finished. ' +
    'timeout_seconds defaults to 25 and is capped at 300. Sends progress notifications while it waits if you ' +
    'give a progress token.',
  access: 'agent',
  blocking: true,
  http: { method: 'GET', path: '/api/v1/tasks/:task_id/wait' },
  input: z.strictObject({
    task_id: taskId,
    timeout_seconds: z.number().min(0).max(300).optional(),
    after_version: z.number().int().min(0).optional().describe('The version you last saw'),
    until: z.enum(['change', 'finished']).optional(),
  }),
  output: z.object({ task: taskView, changed: z.boolean(), timed_out: z.boolean() }),
  async handler(ctx, input) {
    const progress = ctx.progress;
    return ctx.services.tasks.waitFor(
      await actorOf(ctx),
      input,
      ctx.signal,
      progress ? (s, total) => progress(s, total, `waiting for task ${input.task_id} (${s}s)`) : undefined,
    );
  },
});

export const taskStats = defineOp({
  name: 'task_stats',
  group: 'tasks',
  summary:
    'Per agent: tasks claimed, completed, failed, re-opened, and mean seconds from claim to completion',
  access: 'agent',
  http: { method: 'GET', path: '/api/v1/tasks/stats' },
  annotations: { readOnly: true },
  input: z.strictObject({ agent_id: idString.optional().describe('Only this agent') }),
  output: z.object({
    agents: z.array(taskStatsView),
  }),
  async handler(ctx, input) {
    return { agents: await ctx.services.tasks.stats(await actorOf(ctx), input.agent_id) };
  },
});

export const taskOps = [
  createTask,
  listTasks,
  getTask,
  listTaskAttempts,
  claimTask,
  updateTask,
  completeTask,
  failTask,
  cancelTask,
  requestInput,
  provideInput,
  waitForTask,
  taskStats,
] as const;
