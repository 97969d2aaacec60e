/**
 * One running workflow: its steps as they stand, the loop that runs each step once the steps it
 * comes after are done (a parallel group's branches at once, each call with its retries), and the
 * run's end. Each step transition is one store write, then its event. A step that was in flight when
 * the hub stopped runs again only when that is harmless (see resume.ts), else it fails.
 *
 * Fencing (cluster mode): every write names this node as the run's owner. When one is refused — the
 * run ended elsewhere (cancelled on another node) or another node took it over after this node's
 * lease ran out (it stalled) — the run stops here quietly: its in-flight calls are aborted and it
 * writes nothing more; the node that owns it now carries on.
 */
import { channels } from '../../bus/bus.js';
import type { WorkflowEvent } from '../../bus/workflow-events.js';
import { admin, asAgent, type Caller } from '../../core/caller.js';
import { HubError, toHubError } from '../../core/errors.js';
import { iso } from '../../core/time.js';
import type { RunStatus, StepStatus, StoredRun, StoredStep } from '../../store/workflows.js';
import type { DomainDeps } from '../deps.js';
import type { Services } from '../index.js';
import { raceAbort, sleep } from './abort.js';
import type { PlannedStep } from './definition.js';
import { callOutput } from './output.js';
import { notRunAgain, runAgain } from './resume.js';
import { condition, render, type Scope } from './template.js';

/** Runs a hub operation as `caller` (wired by the composition root: domain code never imports ops). */
export interface OpRunner {
  has(name: string): boolean;
  /** Whether running the operation again is harmless (the catalog marks it read-only or idempotent). */
  repeatable(name: string): boolean;
  invoke(
    name: string,
    caller: Caller,
    input: unknown,
    opts: { signal: AbortSignal; correlationId: string },
  ): Promise<unknown>;
}

export const FINISHED: StepStatus[] = ['completed', 'skipped'];

/** Steps not yet finished: they become `cancelled` with their run when it is cancelled. */
export const UNFINISHED: StepStatus[] = ['pending', 'running'];

function callerOf(startedBy: string): Caller {
  return startedBy.startsWith('agent:') ? asAgent(startedBy.slice('agent:'.length)) : admin;
}

/** Publishes a run's event to the hub feed and to the agent that started it. */
export function publishRunEvent(d: DomainDeps, run: StoredRun, event: WorkflowEvent): void {
  d.bus.publish(channels.all, event);
  if (run.agentId) d.bus.publish(channels.agent(run.agentId), event);
}

export class ActiveRun {
  readonly abort = new AbortController();
  /** Settles when the run's loop is over (ended, cancelled, or stopped with the hub). */
  done: Promise<void> = Promise.resolve();
  /** Hear each step transition (wait_for_workflow's progress). */
  readonly listeners = new Set<(step: StoredStep) => void>();
  readonly steps: Map<string, StoredStep>;
  /** Its steps are all settled and its end is being recorded: nothing is left to stop. */
  private ended = false;
  /** Steps that were in flight when the hub stopped (a resumed run): decided on before they run again. */
  private readonly interrupted: Set<string>;

  constructor(
    private readonly d: DomainDeps,
    private readonly services: Services,
    private readonly ops: OpRunner,
    public run: StoredRun,
    readonly plan: PlannedStep[],
    steps: StoredStep[],
    resumed: boolean,
    /** The node running it: its writes are refused once the run is no longer this node's. */
    private readonly owner: string,
  ) {
    this.steps = new Map(steps.map((s) => [s.stepId, s]));
    this.interrupted = new Set(
      resumed ? steps.filter((s) => s.status === 'running' && s.call !== null).map((s) => s.stepId) : [],
    );
  }

  private get cfg() {
    return this.d.config.workflows;
  }

  private now(): string {
    return iso(this.d.clock.now());
  }

  private publish(run: StoredRun, event: WorkflowEvent): void {
    publishRunEvent(this.d, run, event);
  }

  private scope(): Scope {
    const steps: Scope['steps'] = {};
    for (const [id, s] of this.steps) {
      steps[id] = { status: s.status, output: s.output, error: s.error, attempts: s.attempts };
    }
    return {
      inputs: this.run.inputs,
      steps,
      run: { id: this.run.id, correlation_id: this.run.correlationId },
    };
  }

  /** One step transition: one store write, then the event. False when the run is no longer running. */
  private async transition(step: StoredStep, change: Partial<StoredStep>): Promise<boolean> {
    if (this.abort.signal.aborted) return false;
    const next = { ...step, ...change };
    const at = this.now();
    const written = await this.d.store.workflows.updateStep(next, at, this.owner);
    if (!written) {
      this.lost('a step write was refused');
      return false;
    }
    this.steps.set(next.stepId, next);
    this.d.logger.info(
      {
        run_id: this.run.id,
        step: next.stepId,
        status: next.status,
        attempts: next.attempts,
        correlation_id: this.run.correlationId,
        ...(next.error ? { error: next.error } : {}),
      },
      'workflow step',
    );
    this.publish(this.run, {
      type: 'workflow.step',
      at,
      run_id: this.run.id,
      step_id: next.stepId,
      status: next.status,
      attempts: next.attempts,
      error: next.error,
    });
    for (const l of this.listeners) l(next);
    return true;
  }

  /**
   * The run is no longer this node's to run (ended elsewhere, or taken over after this node's lease
   * ran out): stop here without writing anything more. Idempotent.
   */
  lost(why: string): void {
    if (this.abort.signal.aborted || this.ended) return;
    this.d.logger.warn(
      { run_id: this.run.id, correlation_id: this.run.correlationId, why },
      'workflow run stopped on this node: it ended elsewhere or another node took it over',
    );
    this.abort.abort(new HubError('conflict', 'workflow run no longer owned by this node'));
  }

  private stepOf(id: string): StoredStep {
    return this.steps.get(id) as StoredStep;
  }

  /** Runs the steps as they become ready, then records how the run ended. */
  async execute(): Promise<void> {
    const running = new Map<string, Promise<void>>();
    let failure = null as string | null;
    const isDone = (id: string) => FINISHED.includes(this.stepOf(id).status);
    for (;;) {
      if (this.abort.signal.aborted) break;
      if (failure === null) {
        for (const p of this.plan) {
          if (running.has(p.id) || isDone(p.id)) continue;
          if (this.stepOf(p.id).status === 'failed') continue;
          if (!p.after.every(isDone)) continue;
          running.set(
            p.id,
            this.runStep(p).then(
              (problem) => {
                if (problem && failure === null) failure = problem;
                running.delete(p.id);
              },
              (err) => {
                if (failure === null) failure = `step ${p.id}: ${toHubError(err).message}`;
                running.delete(p.id);
              },
            ),
          );
        }
      }
      if (running.size === 0) break;
      await Promise.race(running.values());
    }
    await Promise.allSettled(running.values());
    if (this.abort.signal.aborted) return; // cancelled (already recorded) or the hub is stopping (resumed later)
    const at = this.now();
    let status: Exclude<RunStatus, 'running'> = failure === null ? 'completed' : 'failed';
    let output: unknown = null;
    let error = failure;
    if (failure === null) {
      const incomplete = this.plan.filter((p) => !isDone(p.id));
      if (incomplete.length > 0) {
        status = 'failed';
        error = `steps never became ready: ${incomplete.map((p) => p.id).join(', ')}`;
      } else if (this.run.definition.output !== undefined) {
        output = render(this.run.definition.output, this.scope());
      }
    }
    this.ended = true; // every step is settled: from here a lost lease has nothing left to stop
    const written = await this.d.store.workflows.finishRun(
      this.run.id,
      { status, output, error, at },
      this.owner,
    );
    if (!written) return;
    this.run = { ...this.run, status, output, error, updatedAt: at, finishedAt: at };
    this.d.logger.info(
      { run_id: this.run.id, status, correlation_id: this.run.correlationId, ...(error ? { error } : {}) },
      'workflow finished',
    );
    this.publish(this.run, {
      type: 'workflow.run',
      at,
      run_id: this.run.id,
      name: this.run.name,
      status,
      resumed: false,
      error,
    });
  }

  /** Runs one top-level step (or parallel group); resolves with a failure message, or null. */
  private async runStep(p: PlannedStep): Promise<string | null> {
    const step = this.stepOf(p.id);
    if (p.when !== undefined && step.status === 'pending' && !condition(p.when, this.scope())) {
      const at = this.now();
      await this.transition(step, { status: 'skipped', finishedAt: at });
      for (const b of p.branches) {
        await this.transition(this.stepOf(b.id), { status: 'skipped', finishedAt: at });
      }
      return null;
    }
    if (p.branches.length === 0) return this.runCall(p);

    if (step.status !== 'running') {
      if (!(await this.transition(step, { status: 'running', startedAt: this.now() }))) return null;
    }
    const problems = await Promise.all(
      p.branches.map((b) => (FINISHED.includes(this.stepOf(b.id).status) ? null : this.runCall(b))),
    );
    if (this.abort.signal.aborted) return null;
    const failed = problems.filter((x): x is string => x !== null);
    const group = this.stepOf(p.id);
    if (failed.length > 0) {
      const error = failed.join('; ');
      await this.transition(group, { status: 'failed', error, finishedAt: this.now() });
      return error;
    }
    const output = Object.fromEntries(p.branches.map((b) => [b.id, this.stepOf(b.id).output]));
    await this.transition(group, { status: 'completed', output, error: null, finishedAt: this.now() });
    return null;
  }

  /** A step that calls something, with its retries. */
  private async runCall(p: PlannedStep): Promise<string | null> {
    const signal = this.abort.signal;
    let step = this.stepOf(p.id);
    if (p.parent && p.when !== undefined && !condition(p.when, this.scope())) {
      await this.transition(step, { status: 'skipped', finishedAt: this.now() });
      return null;
    }
    let lastError = '';
    if (this.interrupted.delete(p.id)) {
      const why = await this.whyRunAgain(p);
      if (signal.aborted) return null;
      if (why === null) {
        const error = notRunAgain(p.call as string);
        this.d.logger.warn(
          { run_id: this.run.id, step: p.id, call: p.call, correlation_id: this.run.correlationId },
          'workflow step interrupted by a restart; not run again',
        );
        await this.transition(step, { status: 'failed', error, finishedAt: this.now() });
        return `step ${p.id} ${error}`;
      }
      // Shown as the interrupted attempt's error while the step runs again.
      lastError = runAgain(why);
    }
    for (let tries = 1; tries <= p.retry.attempts; tries++) {
      if (tries > 1) {
        try {
          await sleep(p.retry.backoff_ms * 2 ** (tries - 2), signal);
        } catch {
          return null;
        }
      }
      const started = await this.transition(step, {
        status: 'running',
        attempts: step.attempts + 1,
        startedAt: step.startedAt ?? this.now(),
        ...(lastError ? { error: lastError } : {}),
      });
      if (!started) return null;
      step = this.stepOf(p.id);
      try {
        const input = render(p.input, this.scope()) as Record<string, unknown>;
        const output = await raceAbort(this.call(p.call as string, input, signal), signal);
        await this.transition(step, { status: 'completed', output, error: null, finishedAt: this.now() });
        return null;
      } catch (err) {
        if (signal.aborted) return null;
        lastError = toHubError(err).code === 'internal' ? (err as Error).message : toHubError(err).message;
        if (lastError === '') lastError = 'failed';
      }
    }
    await this.transition(step, { status: 'failed', error: lastError, finishedAt: this.now() });
    return `step ${p.id} failed after ${step.attempts} attempt${step.attempts === 1 ? '' : 's'}: ${lastError}`;
  }

  /**
   * Why a step interrupted by a hub restart may run again, or null when it may not: its call may have
   * had its effect, and repeating it is not known to be harmless.
   */
  private async whyRunAgain(p: PlannedStep): Promise<string | null> {
    const call = p.call as string;
    if (p.retryOnResume) return 'the step is marked retry_on_resume';
    if (this.ops.has(call)) return this.ops.repeatable(call) ? `${call} is read-only or idempotent` : null;
    // A downstream tool: what its server says of it (it may still be connecting just after the restart).
    const gateway = this.services.gateway;
    const deadline = Date.now() + this.cfg.toolWaitSeconds * 1000;
    while (gateway.isSafeToRetry(call) === undefined && Date.now() < deadline) {
      try {
        await sleep(100, this.abort.signal);
      } catch {
        return null;
      }
    }
    return gateway.isSafeToRetry(call) === true ? `the gateway treats ${call} as safe to repeat` : null;
  }

  private async call(call: string, input: Record<string, unknown>, signal: AbortSignal): Promise<unknown> {
    const ops = this.ops;
    const caller = callerOf(this.run.startedBy);
    if (ops.has(call))
      return ops.invoke(call, caller, input, { signal, correlationId: this.run.correlationId });
    // A downstream tool: its server may still be connecting (e.g. just after a restart).
    const deadline = Date.now() + this.cfg.toolWaitSeconds * 1000;
    while (!this.services.gateway.tools().some((t) => t.name === call) && Date.now() < deadline) {
      await sleep(100, signal);
    }
    const result = await this.services.gateway.callTool(call, input, {
      signal,
      correlationId: this.run.correlationId,
      requestedBy: this.run.startedBy,
    });
    return callOutput(result);
  }
}
