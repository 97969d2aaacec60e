/**
 * Tasks: hand out work so that exactly one capable agent takes it. Every transition is one store
 * write (an atomic check-and-set, see transitions.ts) followed by one bus event to the creator, the
 * holder and hub-wide. Patterns (fan-out, pipelines) build on the public methods here.
 */
import { channels } from '../../bus/bus.js';
import type { TaskEventType } from '../../bus/task-events.js';
import type { TaskStatsView, TaskView } from '../../core/wire/index.js';
import { HubError, notFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { iso } from '../../core/time.js';
import type {
  ChildFailurePolicy,
  TaskArtifact,
  TaskDecision,
  TaskAttempt,
  TaskRecord,
  TaskStatus,
} from '../../store/tasks.js';
import type { AgentRecord } from '../../store/types.js';
import type { DomainDeps } from '../deps.js';
import type { Services } from '../index.js';
import { requireThreadOf } from '../messages/threads.js';
import { created, withAttempts } from './attempts.js';
import { listenForTaskAccept } from './accept.js';
import { announceTask } from './announce.js';
import { listenForRetirement } from './retired.js';
import { routeTask } from './routing.js';
import * as t from './transitions.js';
import { settleParent } from './tree.js';
import { checkMayAddChild } from './tree-rules.js';
import { taskView } from './views.js';
import { waitForTask, type WaitTaskInput, type WaitTaskResult } from './wait.js';
import { TaskWatchers } from './watchers.js';

export interface CreateTaskInput {
  title: string;
  description?: string;
  input?: unknown;
  required_capabilities?: string[];
  priority?: number;
  deadline?: string;
  parent_task_id?: string;
  child_failure_policy?: ChildFailurePolicy;
  /** The thread this task comes out of: one the creator takes part in. */
  thread_id?: string;
  /** Direct assignment: the task is claimed for this agent at once. */
  assignee?: string;
  /** 'auto': the hub picks a capable agent by load and reliability and claims it for that agent. */
  route?: 'auto';
  max_attempts?: number;
  lease_seconds?: number;
}

export interface TaskQuery {
  status?: TaskStatus[];
  assignee?: string;
  capability?: string;
  created_by?: string;
  parent_task_id?: string;
  limit?: number;
}

export interface PostOptions {
  /** The admin posts for `creator`: it may add children to any task of the project. */
  admin?: boolean;
}

/** Who acts: an agent, or the admin (null) where the admin may act without naming one. */
export type Actor = AgentRecord | null;

export class TaskService {
  readonly watchers: TaskWatchers;

  /** `services` gives access to the other domains (agents, messages, ...), complete once the hub is built. */
  constructor(
    protected readonly d: DomainDeps,
    protected readonly services: Services,
  ) {
    this.watchers = new TaskWatchers(d.bus);
    listenForTaskAccept(d, this);
    listenForRetirement(d, this);
  }

  private now(): number {
    return this.d.clock.now();
  }

  async create(creator: AgentRecord, input: CreateTaskInput, opts: PostOptions = {}): Promise<TaskView> {
    return (await this.post(creator, input, opts)).task;
  }

  /**
   * create, also saying how route: "auto" went: `routed` false (with the reason) when no capable
   * agent was there, and the task was left open for one to claim later.
   */
  async post(
    creator: AgentRecord,
    input: CreateTaskInput,
    opts: PostOptions = {},
  ): Promise<{ task: TaskView; routed?: boolean; route_reason?: string }> {
    const { config } = this.d;
    const nowMs = this.now();
    const caps = [...new Set(input.required_capabilities ?? [])];
    checkSize(input.input, config.messages.maxBodyBytes);
    if (input.assignee !== undefined && input.route !== undefined) {
      throw new HubError(
        'invalid_input',
        'Give either assignee (direct assignment) or route: "auto", not both',
      );
    }
    if (input.deadline !== undefined && Date.parse(input.deadline) <= nowMs) {
      throw new HubError('invalid_input', `deadline: ${input.deadline} has already passed`);
    }
    if (input.parent_task_id !== undefined) {
      const parent = await this.d.store.tasks.get(input.parent_task_id);
      if (!parent || parent.project !== creator.project)
        throw new HubError('not_found', `parent_task_id: task ${input.parent_task_id} was not found`);
      checkMayAddChild(parent, creator.id, opts.admin === true);
      if (t.TERMINAL.has(parent.status)) {
        throw new HubError(
          'conflict',
          `parent_task_id: task ${parent.id} is already ${parent.status}; children can only be added to unfinished tasks`,
        );
      }
    }
    const threadId =
      input.thread_id === undefined
        ? null
        : await requireThreadOf(this.d.store, creator, input.thread_id, opts.admin === true);
    let holder: AgentRecord | undefined;
    let routeReason: string | undefined;
    if (input.assignee !== undefined) {
      holder = await this.services.agents.find(input.assignee);
      if (!holder || holder.retiredAt || holder.project !== creator.project)
        throw new HubError('not_found', `assignee: agent ${input.assignee} was not found (or is retired)`);
      const missing = caps.filter((c) => !holder?.capabilities.includes(c));
      if (missing.length)
        throw new HubError(
          'invalid_input',
          `assignee: ${holder.id} lacks the required capabilities ${missing.join(', ')}`,
        );
    } else if (input.route === 'auto') {
      const routing = await routeTask(this.d, this.services, creator, caps);
      if ('agent' in routing) holder = routing.agent;
      else routeReason = routing.reason;
    }
    const at = iso(nowMs);
    let task: TaskRecord = {
      id: newId('tsk'),
      title: input.title,
      description: input.description ?? null,
      input: input.input ?? null,
      requiredCapabilities: caps,
      priority: input.priority ?? 0,
      deadline: input.deadline ? iso(Date.parse(input.deadline)) : null,
      parentId: input.parent_task_id ?? null,
      threadId,
      childFailurePolicy: input.child_failure_policy ?? 'fail_parent',
      project: creator.project,
      status: 'open',
      createdBy: creator.id,
      assignee: null,
      attempts: 0,
      maxAttempts: input.max_attempts ?? config.tasks.defaultMaxAttempts,
      leaseSeconds: input.lease_seconds ?? config.tasks.defaultLeaseSeconds,
      leaseExpiresAt: null,
      progress: null,
      progressNote: null,
      question: null,
      answer: null,
      result: null,
      artifacts: [],
      failureReason: null,
      createdAt: at,
      updatedAt: at,
      claimedAt: null,
      startedAt: null,
      finishedAt: null,
      version: 1,
    };
    if (holder) task = t.claim(holder.id, holder.capabilities, nowMs)(task);
    const stored = await this.d.store.tasks.insert(created(task));
    this.publish(holder ? 'task.claimed' : 'task.created', stored, creator.id, null);
    const view = taskView(stored);
    if (input.route !== 'auto') return { task: view };
    return holder ? { task: view, routed: true } : { task: view, routed: false, route_reason: routeReason };
  }

  /** Sends a task_proposal message about an open task to every agent that could take it. */
  announce(creator: AgentRecord, task: TaskView): Promise<string[]> {
    return announceTask(this.services, creator, task);
  }

  /** A task the viewer may see (its project; the admin, viewer null, sees all). */
  async get(viewer: Actor, id: string): Promise<TaskView> {
    return taskView(await this.record(viewer, id));
  }

  /** A visible task's claims in order: who held it, when, and how each attempt ended. */
  async attempts(viewer: Actor, id: string): Promise<TaskAttempt[]> {
    await this.record(viewer, id);
    return this.d.store.tasks.attempts(id);
  }

  private async record(viewer: Actor, id: string): Promise<TaskRecord> {
    const task = await this.d.store.tasks.get(id);
    if (!task || (viewer && task.project !== viewer.project)) throw notFound(`Task ${id}`);
    return task;
  }

  async list(viewer: Actor, q: TaskQuery): Promise<TaskView[]> {
    const rows = await this.d.store.tasks.list({
      project: viewer?.project,
      status: q.status,
      assignee: q.assignee,
      capability: q.capability,
      createdBy: q.created_by,
      parentId: q.parent_task_id,
      limit: q.limit ?? 100,
    });
    return rows.map(taskView);
  }

  /** Claims one task; exactly one of any number of concurrent claimers wins, the others get `conflict`. */
  async claim(agent: AgentRecord, id: string): Promise<TaskView> {
    await this.record(agent, id);
    return this.apply(id, t.claim(agent.id, agent.capabilities, this.now()), 'task.claimed', agent.id);
  }

  /** Claims the best open task (priority, then age) the agent has the capabilities for; null if none. */
  async claimNext(agent: AgentRecord): Promise<TaskView | null> {
    let before: TaskRecord | undefined;
    const decide = t.claim(agent.id, agent.capabilities, this.now());
    const now = iso(this.now());
    const next = await this.d.store.tasks.claimNext(
      agent.project,
      agent.capabilities,
      now,
      withAttempts((cur) => {
        before = cur;
        return decide(cur);
      }),
    );
    if (!next || !before) return null;
    this.publish('task.claimed', next, agent.id, before.assignee);
    return taskView(next);
  }

  async update(agent: AgentRecord, id: string, progress?: number, note?: string): Promise<TaskView> {
    await this.record(agent, id);
    return this.apply(id, t.update(agent.id, this.now(), progress, note), 'task.progress', agent.id);
  }

  async complete(
    agent: AgentRecord,
    id: string,
    result: unknown,
    artifacts: TaskArtifact[] = [],
  ): Promise<TaskView> {
    await this.record(agent, id);
    checkSize(result, this.d.config.messages.maxBodyBytes, 'result');
    return this.apply(id, t.complete(agent.id, this.now(), result, artifacts), 'task.completed', agent.id);
  }

  async fail(agent: AgentRecord, id: string, reason: string, retryable = false): Promise<TaskView> {
    await this.record(agent, id);
    return this.apply(id, t.fail(agent.id, this.now(), reason, retryable), 'task.failed', agent.id);
  }

  async requestInput(agent: AgentRecord, id: string, question: string): Promise<TaskView> {
    await this.record(agent, id);
    return this.apply(id, t.requestInput(agent.id, this.now(), question), 'task.input_required', agent.id);
  }

  async provideInput(actor: Actor, id: string, answer: unknown): Promise<TaskView> {
    await this.record(actor, id);
    checkSize(answer, this.d.config.messages.maxBodyBytes, 'answer');
    return this.apply(
      id,
      t.provideInput(actor?.id ?? null, this.now(), answer),
      'task.input_provided',
      actor?.id ?? null,
    );
  }

  /** Cancels a task and every unfinished task below it. */
  async cancel(actor: Actor, id: string, reason?: string): Promise<TaskView> {
    await this.record(actor, id);
    const view = await this.apply(
      id,
      t.cancel(actor?.id ?? null, this.now(), reason),
      'task.cancelled',
      actor?.id ?? null,
    );
    await this.cascadeCancel(id, actor?.id ?? null, `parent task ${id} was cancelled`);
    return view;
  }

  /** Cancels the unfinished children (recursively) of a task. */
  async cascadeCancel(parentId: string, by: string | null, reason: string): Promise<void> {
    for (const child of await this.d.store.tasks.children(parentId)) {
      if (t.TERMINAL.has(child.status)) continue;
      await this.settle(child.id, 'cancelled', { failureReason: reason }, by);
      await this.cascadeCancel(child.id, by, reason);
    }
  }

  /**
   * A hub-made move (delegation trees); no event when the task had already finished, or (with
   * `holder`) when someone other than that holder holds it by now.
   */
  async settle(
    id: string,
    status: 'completed' | 'failed' | 'cancelled',
    fields: Partial<TaskRecord>,
    by: string | null,
    holder?: string | null,
  ): Promise<TaskView> {
    return this.apply(id, t.settle(this.now(), status, fields, holder), `task.${status}`, by);
  }

  waitFor(
    viewer: Actor,
    input: WaitTaskInput,
    signal?: AbortSignal,
    onProgress?: (elapsed: number, total: number) => void,
  ): Promise<WaitTaskResult> {
    return waitForTask(
      { config: this.d.config, watchers: this.watchers, read: (id) => this.record(viewer, id) },
      input,
      signal,
      onProgress,
    );
  }

  async stats(viewer: Actor, agentId?: string): Promise<TaskStatsView[]> {
    const rows = await this.d.store.tasks.stats(agentId ? [agentId] : undefined);
    const out: TaskStatsView[] = [];
    for (const s of rows) {
      if (viewer && (await this.services.agents.find(s.agentId))?.project !== viewer.project) continue;
      out.push({
        agent_id: s.agentId,
        claimed: s.claimed,
        completed: s.completed,
        failed: s.failed,
        reopened: s.reopened,
        mean_seconds_to_complete: s.meanSecondsToComplete,
      });
    }
    return out;
  }

  /**
   * Re-opens (or fails, when attempts are used up) every task whose holder let its lease run out,
   * and fails every unfinished task whose deadline has passed.
   */
  async sweep(): Promise<{ reopened: string[]; failed: string[] }> {
    const nowMs = this.now();
    const out = { reopened: [] as string[], failed: [] as string[] };
    const { tasks } = this.d.store;
    for (const id of await tasks.expiredLeases(iso(nowMs), 1000)) {
      const view = await this.apply(id, t.expire(nowMs), 'task.failed', null);
      if (view.status === 'open') out.reopened.push(id);
      else if (view.status === 'failed') out.failed.push(id);
    }
    for (const id of await tasks.overdue(iso(nowMs), 1000)) {
      const view = await this.apply(id, t.overdue(nowMs), 'task.failed', null);
      if (view.status === 'failed') out.failed.push(id);
      if (view.status === 'failed')
        await this.cascadeCancel(id, null, `parent task ${id} missed its deadline`);
    }
    return out;
  }

  /** Re-opens (or fails, when no attempts are left) every unfinished task the agent holds; the ids. */
  async releaseHeldBy(agentId: string, reason: string): Promise<string[]> {
    const held = await this.d.store.tasks.list({
      assignee: agentId,
      status: ['claimed', 'in_progress', 'input_required'],
      limit: 10_000,
    });
    const out: string[] = [];
    for (const task of held) {
      await this.apply(task.id, t.holderRetired(agentId, this.now(), reason), 'task.failed', null);
      out.push(task.id);
    }
    return out;
  }

  /** One write (check-and-set) and, if it changed anything, one event; then delegation-tree rules. */
  private async apply(
    id: string,
    decide: TaskDecision,
    type: TaskEventType,
    by: string | null,
  ): Promise<TaskView> {
    let before: TaskRecord | undefined;
    const next = await this.d.store.tasks.mutate(
      id,
      withAttempts((cur) => {
        before = cur;
        return decide(cur);
      }),
    );
    if (before && next.version !== before.version) {
      const event = eventType(type, before, next);
      this.publish(event, next, by, before.assignee);
      if (next.parentId && t.TERMINAL.has(next.status)) {
        await settleParent(this.d, this, next.parentId).catch((err) =>
          this.d.logger.warn({ err, task: next.id }, 'settling the parent task failed'),
        );
      }
    }
    return taskView(next);
  }

  private publish(
    type: TaskEventType,
    task: TaskRecord,
    by: string | null,
    previousHolder: string | null,
  ): void {
    const event = { type, at: task.updatedAt, by, task: taskView(task) };
    const { bus } = this.d;
    const targets = new Set([task.createdBy, task.assignee, previousHolder]);
    for (const agentId of targets) if (agentId) bus.publish(channels.agent(agentId), event);
    bus.publish(channels.all, event);
  }
}

function eventType(requested: TaskEventType, before: TaskRecord, next: TaskRecord): TaskEventType {
  if (next.status === 'open' && before.status !== 'open') return 'task.reopened';
  if (requested === 'task.progress' && before.status === 'claimed') return 'task.started';
  if (next.status === 'completed' || next.status === 'failed' || next.status === 'cancelled')
    return `task.${next.status}`;
  return requested;
}

function checkSize(value: unknown, max: number, field = 'input'): void {
  if (value === undefined) return;
  const size = Buffer.byteLength(JSON.stringify(value) ?? '');
  if (size > max) {
    throw new HubError(
      'payload_too_large',
      `${field} is ${size} bytes as JSON; the largest this hub accepts is ${max}`,
    );
  }
}
