/**
 * fan_out: one piece of work to N named agents, or to every active agent with a capability (the
 * caller aside). Each target gets its own child task, assigned to it, under one parent task. The call
 * blocks until it has what `collect` asks for — `all` answers, the `first` completed one, or a
 * `quorum` of k completed ones — or until the deadline (timeout_seconds). Workers still running
 * after a first/quorum answer keep going; at the deadline the unanswered tasks are cancelled.
 */
import type { TaskView } from '../../core/wire/index.js';
import { HubError } from '../../core/errors.js';
import type { AgentRecord } from '../../store/types.js';
import type { DomainDeps } from '../deps.js';
import type { Services } from '../index.js';
import { checkTarget, childDeadline, childEvents, closeTree, openTree, TERMINAL } from './task-tree.js';
import { Waiter } from '../../bus/waiter.js';

export interface FanOutInput {
  title: string;
  description?: string;
  input?: unknown;
  agents?: string[];
  capability?: string;
  collect?: 'all' | 'first' | 'quorum';
  quorum?: number;
  timeout_seconds?: number;
}

export interface FanOutAnswer {
  agent_id: string;
  task_id: string;
  status: TaskView['status'];
  result: unknown;
  failure_reason: string | null;
  finished_at: string | null;
}

export interface FanOutResult {
  parent_task_id: string;
  collect: 'all' | 'first' | 'quorum';
  needed: number;
  met: boolean;
  timed_out: boolean;
  results: FanOutAnswer[];
  failed: FanOutAnswer[];
  pending: Array<{ agent_id: string; task_id: string; status: TaskView['status'] }>;
}

/** Reports how far a blocking call is: (seconds waited, most it will wait, what has happened). */
export type PatternProgress = (elapsed: number, total: number, message: string) => void;

export async function fanOut(
  d: DomainDeps,
  services: Services,
  me: AgentRecord,
  input: FanOutInput,
  signal?: AbortSignal,
  progress?: PatternProgress,
): Promise<FanOutResult> {
  const targets = await resolveTargets(services, me, input);
  const collect = input.collect ?? 'all';
  const needed = neededAnswers(input, collect, targets.length);
  const { config } = d;
  const seconds = Math.min(
    input.timeout_seconds ?? config.tasks.defaultWaitSeconds,
    config.tasks.maxWaitSeconds,
  );
  const deadlineMs = d.clock.now() + seconds * 1000;

  const tree = await openTree(services, me, {
    kind: 'fan_out',
    title: input.title,
    description: input.description,
    input: input.input,
    policy: 'ignore',
    waitSeconds: seconds,
  });
  const waiter = new Waiter(d.bus, ...childEvents(me, tree.parent.task_id));
  const started = Date.now();
  let last = -1;
  let summary = '';
  const report = () => {
    if (!progress) return;
    const elapsed = Math.max(last + 0.001, (Date.now() - started) / 1000);
    last = elapsed;
    progress(elapsed, seconds, summary);
  };
  const ticker = progress ? setInterval(report, 5000) : undefined;
  /** Each child's target (a task that lost its holder has no assignee any more). */
  const assigned = new Map<string, string>();
  const answer = (c: TaskView): FanOutAnswer => ({
    agent_id: assigned.get(c.task_id) ?? c.assignee ?? '',
    task_id: c.task_id,
    status: c.status,
    result: c.result,
    failure_reason: c.failure_reason,
    finished_at: c.finished_at,
  });
  try {
    for (const agentId of targets) {
      const child = await services.tasks.create(me, {
        title: input.title,
        description: input.description,
        input: input.input,
        parent_task_id: tree.parent.task_id,
        assignee: agentId,
        required_capabilities: input.capability ? [input.capability] : undefined,
        deadline: childDeadline(d.clock.now(), deadlineMs),
      });
      assigned.set(child.task_id, agentId);
    }
    const state = async () => {
      const children = (
        await services.tasks.list(me, { parent_task_id: tree.parent.task_id, limit: 1000 })
      ).filter((c) => c.task_id !== tree.control.task_id);
      const completed = byFinish(children.filter((c) => c.status === 'completed'));
      const failed = byFinish(children.filter((c) => c.status === 'failed' || c.status === 'cancelled'));
      const open = children.filter((c) => !TERMINAL.has(c.status));
      return { children, completed, failed, open };
    };
    const outcome = await waiter.until(
      async () => {
        const s = await state();
        const answered = s.completed.length + s.failed.length;
        const nextSummary = `${s.completed.length} of ${targets.length} completed, ${s.failed.length} failed (need ${needed})`;
        if (nextSummary !== summary) {
          summary = nextSummary;
          report();
        }
        const met = s.completed.length >= needed;
        // all: every task has finished; first/quorum: enough completed, or too few left to get there.
        const hopeless = collect !== 'all' && s.completed.length + s.open.length < needed;
        if (met || hopeless || answered === targets.length) return { ...s, met };
        return undefined;
      },
      { timeoutMs: seconds * 1000, signal },
    );
    const final = outcome ?? { ...(await state()), met: false };
    const timedOut = outcome === undefined;
    if (timedOut) {
      const why = signal?.aborted ? 'the fan_out caller went away' : `fan_out deadline passed (${seconds} s)`;
      for (const c of final.open) await services.tasks.cancel(me, c.task_id, why).catch(() => undefined);
    }
    const result: FanOutResult = {
      parent_task_id: tree.parent.task_id,
      collect,
      needed,
      met: final.completed.length >= needed,
      timed_out: timedOut,
      results: final.completed.map(answer),
      failed: final.failed.map(answer),
      pending: final.open.map((c) => ({
        agent_id: assigned.get(c.task_id) ?? '',
        task_id: c.task_id,
        status: c.status,
      })),
    };
    await closeTree(services, me, tree, {
      met: result.met,
      results: result.results.map((r) => ({ agent_id: r.agent_id, result: r.result })),
    });
    return result;
  } catch (err) {
    // Handing out the work failed half-way (say, an agent was retired meanwhile): nothing stays open.
    const why = err instanceof HubError ? err.message : 'an internal error';
    await services.tasks.cancel(me, tree.parent.task_id, `fan_out stopped: ${why}`).catch(() => undefined);
    throw err;
  } finally {
    if (ticker) clearInterval(ticker);
    waiter.close();
  }
}

async function resolveTargets(services: Services, me: AgentRecord, input: FanOutInput): Promise<string[]> {
  if ((input.agents === undefined) === (input.capability === undefined)) {
    throw new HubError(
      'invalid_input',
      'agents: give either agents (a list of agent ids) or capability, not both or neither',
    );
  }
  if (input.agents) {
    const ids = [...new Set(input.agents)];
    for (const [i, id] of ids.entries()) await checkTarget(services, me, { agent: id }, `agents.${i}`);
    return ids;
  }
  await checkTarget(services, me, { capability: input.capability }, 'capability');
  return (await services.agents.list({ capability: input.capability, project: me.project }))
    .filter((a) => a.agent_id !== me.id && a.status !== 'offline' && a.status !== 'retired')
    .map((a) => a.agent_id);
}

function neededAnswers(input: FanOutInput, collect: FanOutResult['collect'], n: number): number {
  if (collect !== 'quorum') {
    if (input.quorum !== undefined) {
      throw new HubError('invalid_input', `quorum: only collect "quorum" takes a quorum, not "${collect}"`);
    }
    return collect === 'first' ? 1 : n;
  }
  if (input.quorum === undefined) {
    throw new HubError(
      'invalid_input',
      'quorum: collect "quorum" needs quorum: k (how many completed answers to wait for)',
    );
  }
  if (input.quorum > n) {
    throw new HubError(
      'invalid_input',
      `quorum: ${input.quorum} is more than the ${n} agents the work goes to`,
    );
  }
  return input.quorum;
}

const byFinish = (tasks: TaskView[]) =>
  [...tasks].sort((a, b) => (a.finished_at ?? '').localeCompare(b.finished_at ?? ''));
