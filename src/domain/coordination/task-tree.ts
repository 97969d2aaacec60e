/**
 * The task tree behind fan-out and pipelines. One parent task (held by the caller) shows the whole
 * pattern; its first child, also held by the caller, keeps the parent from completing while the
 * pattern is still handing out work (a delegation tree completes its parent once every child has
 * finished). When the pattern has its answer, that child completes with it; the parent then
 * completes once the workers' tasks have finished too.
 */
import { channels } from '../../bus/bus.js';
import type { HubEvent } from '../../bus/events.js';
import type { TaskView } from '../../core/wire/index.js';
import { HubError } from '../../core/errors.js';
import type { AgentRecord } from '../../store/types.js';
import type { Services } from '../index.js';

/** Where a piece of work goes: a named agent, or an agent with a capability. */
export interface Target {
  agent?: string;
  capability?: string;
}

export interface Tree {
  parent: TaskView;
  control: TaskView;
}

/** The parent lives as long as a task lease may; it belongs to the caller and is never worked on. */
const PARENT_LEASE_SECONDS = 86_400;

export async function openTree(
  services: Services,
  me: AgentRecord,
  opts: {
    kind: 'fan_out' | 'pipeline';
    title: string;
    description?: string;
    input: unknown;
    policy: 'fail_parent' | 'ignore';
    waitSeconds: number;
  },
): Promise<Tree> {
  const parent = await services.tasks.create(me, {
    title: `${opts.kind}: ${opts.title}`.slice(0, 500),
    description: opts.description,
    input: opts.input,
    assignee: me.id,
    child_failure_policy: opts.policy,
    lease_seconds: PARENT_LEASE_SECONDS,
    max_attempts: 1,
  });
  const control = await services.tasks.create(me, {
    title: `${opts.kind} coordinator: collect the results`,
    parent_task_id: parent.task_id,
    assignee: me.id,
    // If the hub stops mid-call, the lease runs out and (one attempt) the task fails instead of re-opening.
    lease_seconds: Math.ceil(opts.waitSeconds) + 60,
    max_attempts: 1,
  });
  return { parent, control };
}

/**
 * A worker's task deadline: the pattern's own, but never less than a second from now. A task whose
 * deadline has passed cannot be created, and the pattern cancels what is unanswered at its own deadline
 * anyway; so a deadline at or just past now (timeout_seconds near 0) times the call out instead of
 * failing it half-way, with its parent and coordinator tasks already created.
 */
export function childDeadline(nowMs: number, deadlineMs: number): string {
  return new Date(Math.max(deadlineMs, nowMs + 1000)).toISOString();
}

/** Completes the coordinator's child with the pattern's result; a no-op if it already finished. */
export async function closeTree(
  services: Services,
  me: AgentRecord,
  tree: Tree,
  result: unknown,
): Promise<void> {
  try {
    await services.tasks.complete(me, tree.control.task_id, result);
  } catch (err) {
    if (!(err instanceof HubError) || err.code !== 'conflict') throw err;
  }
}

/** Task events of the tree's children: the caller created them, so they reach the caller's channel. */
export function childEvents(me: AgentRecord, parentId: string): [string[], (e: HubEvent) => boolean] {
  return [
    [channels.agent(me.id)],
    (e) => e.type.startsWith('task.') && (e as { task: TaskView }).task.parent_task_id === parentId,
  ];
}

/** Checks a target before anything is created, so bad input stores nothing. */
export async function checkTarget(
  services: Services,
  me: AgentRecord,
  target: Target,
  field: string,
): Promise<void> {
  if ((target.agent === undefined) === (target.capability === undefined)) {
    throw new HubError('invalid_input', `${field}: give either agent or capability, not both or neither`);
  }
  if (target.agent !== undefined) {
    const agent = await services.agents.find(target.agent);
    if (!agent || agent.retiredAt || agent.project !== me.project) {
      throw new HubError('not_found', `${field}: agent ${target.agent} was not found (or is retired)`);
    }
    return;
  }
  const capable = (await services.agents.list({ capability: target.capability, project: me.project })).filter(
    (a) => a.agent_id !== me.id && a.status !== 'offline' && a.status !== 'retired',
  );
  if (capable.length === 0) {
    throw new HubError(
      'not_found',
      `${field}: no active agent with capability ${JSON.stringify(target.capability)}`,
    );
  }
}

export const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
