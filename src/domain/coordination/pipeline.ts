/**
 * run_pipeline: ordered stages, each a named agent or a capability (the hub routes to the least
 * loaded, most reliable capable agent) plus an instruction. Stage 1's task input is the pipeline's
 * input; each later stage's task input is the result of the stage before it. All stage tasks sit
 * under one parent task. on_failure `stop` (default) ends the pipeline at a failed stage (the parent
 * fails); `continue` passes the failed stage's own input on to the next stage. The whole run has one
 * deadline (timeout_seconds); a stage still running then is cancelled.
 */
import type { TaskView } from '../../core/wire/index.js';
import { HubError } from '../../core/errors.js';
import type { AgentRecord } from '../../store/types.js';
import type { DomainDeps } from '../deps.js';
import type { Services } from '../index.js';
import type { PatternProgress } from './fan-out.js';
import {
  checkTarget,
  childDeadline,
  childEvents,
  closeTree,
  openTree,
  type Target,
  TERMINAL,
} from './task-tree.js';
import { Waiter } from '../../bus/waiter.js';

export interface PipelineStage extends Target {
  instruction: string;
  title?: string;
}

export interface PipelineInput {
  title: string;
  input?: unknown;
  stages: PipelineStage[];
  on_failure?: 'stop' | 'continue';
  timeout_seconds?: number;
}

export interface StageResult {
  stage: number;
  task_id: string | null;
  agent_id: string | null;
  status: TaskView['status'] | 'skipped';
  input: unknown;
  result: unknown;
  failure_reason: string | null;
}

export interface PipelineResult {
  parent_task_id: string;
  status: 'completed' | 'failed' | 'timed_out';
  /** The last completed stage's result (the pipeline's input if none completed). */
  output: unknown;
  stages: StageResult[];
}

export async function runPipeline(
  d: DomainDeps,
  services: Services,
  me: AgentRecord,
  input: PipelineInput,
  signal?: AbortSignal,
  progress?: PatternProgress,
): Promise<PipelineResult> {
  for (const [i, stage] of input.stages.entries()) await checkTarget(services, me, stage, `stages.${i}`);
  const onFailure = input.on_failure ?? 'stop';
  const { config } = d;
  const seconds = Math.min(
    input.timeout_seconds ?? config.tasks.defaultWaitSeconds,
    config.tasks.maxWaitSeconds,
  );
  const deadlineMs = Date.now() + seconds * 1000;
  const tree = await openTree(services, me, {
    kind: 'pipeline',
    title: input.title,
    input: input.input,
    policy: onFailure === 'stop' ? 'fail_parent' : 'ignore',
    waitSeconds: seconds,
  });
  const waiter = new Waiter(d.bus, ...childEvents(me, tree.parent.task_id));
  const started = Date.now();
  let last = -1;
  const report = (message: string) => {
    if (!progress) return;
    last = Math.max(last + 0.001, (Date.now() - started) / 1000);
    progress(last, seconds, message);
  };
  let current = `stage 1 of ${input.stages.length}`;
  const ticker = progress ? setInterval(() => report(current), 5000) : undefined;

  const stages: StageResult[] = [];
  let carried: unknown = input.input;
  let status: PipelineResult['status'] = 'completed';
  try {
    for (const [i, stage] of input.stages.entries()) {
      if (status !== 'completed') {
        stages.push({
          stage: i + 1,
          task_id: null,
          agent_id: null,
          status: 'skipped',
          input: null,
          result: null,
          failure_reason: null,
        });
        continue;
      }
      current = `stage ${i + 1} of ${input.stages.length}`;
      report(`${current} started`);
      const task = await services.tasks.create(me, {
        title: stage.title ?? `${input.title}: stage ${i + 1} of ${input.stages.length}`,
        description: stage.instruction,
        input: carried,
        parent_task_id: tree.parent.task_id,
        ...(stage.agent !== undefined
          ? { assignee: stage.agent }
          : { route: 'auto' as const, required_capabilities: [stage.capability!] }),
        // deadlineMs is on the wall clock (Date.now()), a task's deadline on the hub's.
        deadline: childDeadline(d.clock.now(), d.clock.now() + deadlineMs - Date.now()),
      });
      const finished = await waiter.until(
        async () => {
          const now = await services.tasks.get(me, task.task_id);
          return TERMINAL.has(now.status) ? now : undefined;
        },
        { timeoutMs: Math.max(0, deadlineMs - Date.now()), signal },
      );
      if (!finished) {
        const why = signal?.aborted
          ? 'the pipeline caller went away'
          : `pipeline deadline passed (${seconds} s)`;
        await services.tasks.cancel(me, task.task_id, why).catch(() => undefined);
        stages.push(stageResult(i, task, carried, await services.tasks.get(me, task.task_id), stage.agent));
        status = 'timed_out';
        continue;
      }
      stages.push(stageResult(i, task, carried, finished, stage.agent));
      report(`${current} ${finished.status}`);
      if (finished.status === 'completed') carried = finished.result;
      else if (onFailure === 'stop') status = 'failed';
    }
    if (status === 'timed_out') {
      await services.tasks
        .cancel(me, tree.parent.task_id, `pipeline deadline passed (${seconds} s)`)
        .catch(() => undefined);
    } else {
      await closeTree(services, me, tree, { status, output: carried });
    }
    return { parent_task_id: tree.parent.task_id, status, output: carried, stages };
  } catch (err) {
    const why = err instanceof HubError ? err.message : 'an internal error';
    await services.tasks.cancel(me, tree.parent.task_id, `pipeline stopped: ${why}`).catch(() => undefined);
    throw err;
  } finally {
    if (ticker) clearInterval(ticker);
    waiter.close();
  }
}

function stageResult(
  i: number,
  created: TaskView,
  input: unknown,
  now: TaskView,
  agent?: string,
): StageResult {
  return {
    stage: i + 1,
    task_id: created.task_id,
    agent_id: agent ?? created.assignee,
    status: now.status,
    input,
    result: now.result,
    failure_reason: now.failure_reason,
  };
}
