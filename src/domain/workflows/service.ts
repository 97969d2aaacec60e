/**
 * Workflows: durable multi-step runs across downstream tools and hub operations. Each step
 * transition is one store write; a run interrupted by a hub stop or crash is resumed by `resume()`
 * from its last completed steps (those are never run again); a step that was in flight runs again
 * only when that is harmless (see resume.ts), else it fails. Steps act with the starter's identity
 * and every call of a run carries the run's correlation id.
 */
import { isAbsolute, join, relative, resolve } from 'node:path';
import { channels } from '../../bus/bus.js';
import type { WorkflowEvent } from '../../bus/workflow-events.js';
import { admin, asAgent, type Caller, callerKey } from '../../core/caller.js';
import { HubError, toHubError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { iso } from '../../core/time.js';
import type { RunStatus, StepStatus, StoredRun, StoredStep } from '../../store/workflows.js';
import type { DomainDeps } from '../deps.js';
import type { Services } from '../index.js';
import { type PlannedStep, planDefinition, readDefinitionFile } from './definition.js';
import { callOutput } from './output.js';
import { notRunAgain, runAgain } from './resume.js';
import { condition, render, type Scope } from './template.js';
import { type RunView, runView, type StepView } from './views.js';

export type { RunView, StepView };

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

interface Active {
  run: StoredRun;
  plan: PlannedStep[];
  steps: Map<string, StoredStep>;
  abort: AbortController;
  done: Promise<void>;
  listeners: Set<(step: StoredStep) => void>;
  /** Steps that were in flight when the hub stopped (a resumed run): decided on before they run again. */
  interrupted: Set<string>;
}

const FINISHED: StepStatus[] = ['completed', 'skipped'];
const SHUTDOWN = 'hub shutting down';

function callerOf(startedBy: string): Caller {
  return startedBy.startsWith('agent:') ? asAgent(startedBy.slice('agent:'.length)) : admin;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolveSleep, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolveSleep();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Settles with `p`, or rejects as soon as `signal` aborts (a call that ignores its signal cannot hold a run). */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((res, rej) => {
    const onAbort = () => rej(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        res(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        rej(e);
      },
    );
  });
}

export class WorkflowService {
  private ops: OpRunner | undefined;
  private readonly active = new Map<string, Active>();
  private closing = false;

  /** `services` gives access to the other domains (gateway, agents, ...), complete once the hub is built. */
  constructor(
    protected readonly d: DomainDeps,
    protected readonly services: Services,
  ) {}

  /** Wires hub operations in (the composition root does this once). */
  attach(ops: OpRunner): void {
    this.ops = ops;
  }

  private get cfg() {
    return this.d.config.workflows;
  }

  get defaultWaitSeconds(): number {
    return this.cfg.defaultWaitSeconds;
  }

  private now(): string {
    return iso(this.d.clock.now());
  }

  private publish(run: StoredRun, event: WorkflowEvent): void {
    this.d.bus.publish(channels.all, event);
    if (run.agentId) this.d.bus.publish(channels.agent(run.agentId), event);
  }

  /** Null when `call` can be called; else why not (for the definition error). */
  private checkCall(call: string): string | null {
    if (this.ops?.has(call)) {
      if (['run_workflow', 'cancel_workflow'].includes(call)) return `a workflow cannot call ${call}`;
      return null;
    }
    // A tool published right now (also an unprefixed one in passthrough mode).
    if (this.services.gateway.tools().some((t) => t.name === call)) return null;
    const sep = this.d.config.gateway.separator;
    const at = call.indexOf(sep);
    if (at > 0) {
      const server = call.slice(0, at);
      if (this.services.gateway.listServers().some((s) => s.name === server)) return null;
      return `"${call}" names no hub operation, and there is no downstream server "${server}" (list_servers shows them)`;
    }
    return `"${call}" is neither a hub operation nor a downstream tool <server>${sep}<tool>`;
  }

  /** Resolves `file` for a caller: the admin may name any path; agents only files under the workflows directory. */
  private fileFor(file: string, caller: Caller): string {
    const dir = resolve(this.cfg.dir ?? join(this.d.config.home, 'workflows'));
    if (caller.kind === 'admin') return isAbsolute(file) ? file : resolve(dir, file);
    const path = resolve(dir, file);
    const rel = relative(dir, path);
    if (isAbsolute(file) || rel.startsWith('..') || isAbsolute(rel)) {
      throw new HubError(
        'forbidden',
        `file: agents may run only workflow files under the hub's workflows directory (${dir}); give a path relative to it`,
      );
    }
    return path;
  }

  /** Validates, stores and starts a run. Nothing is stored when the definition is invalid. */
  async start(
    caller: Caller,
    input: { definition?: Record<string, unknown>; file?: string; inputs?: Record<string, unknown> },
  ): Promise<RunView> {
    if (!this.ops) throw new HubError('unavailable', 'Workflows are not ready yet; try again in a moment');
    if (caller.kind === 'anonymous')
      throw new HubError('unauthorized', 'Workflows need an identified caller');
    if ((input.definition === undefined) === (input.file === undefined)) {
      throw new HubError('invalid_input', 'Give either definition (an object) or file (a JSON or YAML path)');
    }
    const raw = input.definition ?? readDefinitionFile(this.fileFor(input.file as string, caller));
    const { definition, steps: plan } = planDefinition(raw, (call) => this.checkCall(call));
    const at = this.now();
    const run: StoredRun = {
      id: newId('wf'),
      name: definition.name ?? null,
      definition: definition as unknown as Record<string, unknown>,
      inputs: { ...(definition.inputs ?? {}), ...(input.inputs ?? {}) },
      status: 'running',
      startedBy: callerKey(caller),
      agentId: caller.kind === 'agent' ? caller.agentId : null,
      correlationId: newId('corr'),
      output: null,
      error: null,
      createdAt: at,
      updatedAt: at,
      finishedAt: null,
    };
    const steps: StoredStep[] = [];
    for (const p of plan) {
      for (const s of [p, ...p.branches]) {
        steps.push({
          runId: run.id,
          stepId: s.id,
          position: steps.length,
          parent: s.parent,
          call: s.call,
          status: 'pending',
          attempts: 0,
          output: null,
          error: null,
          startedAt: null,
          finishedAt: null,
        });
      }
    }
    await this.d.store.workflows.createRun(run, steps);
    this.d.logger.info(
      { run_id: run.id, workflow: run.name, correlation_id: run.correlationId, started_by: run.startedBy },
      'workflow started',
    );
    this.launch(run, plan, steps, false);
    return runView(run, steps);
  }

  /** Picks up every run the store says is running (after a restart): completed steps are kept. */
  async resume(): Promise<number> {
    let resumed = 0;
    for (const run of await this.d.store.workflows.listRuns({ status: 'running', limit: 10_000 })) {
      if (this.active.has(run.id) || this.closing) continue;
      let plan: PlannedStep[];
      try {
        plan = planDefinition(run.definition, () => null).steps;
      } catch (err) {
        const error = `stored definition no longer valid: ${(err as Error).message}`;
        await this.d.store.workflows.finishRun(run.id, {
          status: 'failed',
          output: null,
          error,
          at: this.now(),
        });
        continue;
      }
      const steps = await this.d.store.workflows.getSteps(run.id);
      this.d.logger.info(
        {
          run_id: run.id,
          correlation_id: run.correlationId,
          completed: steps.filter((s) => FINISHED.includes(s.status)).length,
          steps: steps.length,
        },
        'workflow resumed',
      );
      this.launch(run, plan, steps, true);
      resumed++;
    }
    return resumed;
  }

  private launch(run: StoredRun, plan: PlannedStep[], steps: StoredStep[], resumed: boolean): void {
    const active: Active = {
      run,
      plan,
      steps: new Map(steps.map((s) => [s.stepId, s])),
      abort: new AbortController(),
      done: Promise.resolve(),
      listeners: new Set(),
      interrupted: new Set(
        resumed ? steps.filter((s) => s.status === 'running' && s.call !== null).map((s) => s.stepId) : [],
      ),
    };
    this.active.set(run.id, active);
    this.publish(run, {
      type: 'workflow.run',
      at: this.now(),
      run_id: run.id,
      name: run.name,
      status: 'running',
      resumed,
      error: null,
    });
    active.done = this.execute(active)
      .catch((err) => {
        this.d.logger.error({ err, run_id: run.id }, 'workflow runner failed');
      })
      .finally(() => this.active.delete(run.id));
  }

  private scope(a: Active): Scope {
    const steps: Scope['steps'] = {};
    for (const [id, s] of a.steps) {
      steps[id] = { status: s.status, output: s.output, error: s.error, attempts: s.attempts };
    }
    return { inputs: a.run.inputs, steps, run: { id: a.run.id, correlation_id: a.run.correlationId } };
  }

  /** One step transition: one store write, then the event. False when the run is no longer running. */
  private async transition(a: Active, step: StoredStep, change: Partial<StoredStep>): Promise<boolean> {
    if (a.abort.signal.aborted) return false;
    const next = { ...step, ...change };
    const at = this.now();
    const written = await this.d.store.workflows.updateStep(next, at);
    if (!written) return false;
    a.steps.set(next.stepId, next);
    this.d.logger.info(
      {
        run_id: a.run.id,
        step: next.stepId,
        status: next.status,
        attempts: next.attempts,
        correlation_id: a.run.correlationId,
        ...(next.error ? { error: next.error } : {}),
      },
      'workflow step',
    );
    this.publish(a.run, {
      type: 'workflow.step',
      at,
      run_id: a.run.id,
      step_id: next.stepId,
      status: next.status,
      attempts: next.attempts,
      error: next.error,
    });
    for (const l of a.listeners) l(next);
    return true;
  }

  private stepOf(a: Active, id: string): StoredStep {
    return a.steps.get(id) as StoredStep;
  }

  private async execute(a: Active): Promise<void> {
    const running = new Map<string, Promise<void>>();
    let failure = null as string | null;
    const isDone = (id: string) => FINISHED.includes(this.stepOf(a, id).status);
    for (;;) {
      if (a.abort.signal.aborted) break;
      if (failure === null) {
        for (const p of a.plan) {
          if (running.has(p.id) || isDone(p.id)) continue;
          if (this.stepOf(a, p.id).status === 'failed') continue;
          if (!p.after.every(isDone)) continue;
          running.set(
            p.id,
            this.runStep(a, p).then(
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
    if (a.abort.signal.aborted) return; // cancelled (already recorded) or the hub is stopping (resumed later)
    const at = this.now();
    let status: Exclude<RunStatus, 'running'> = failure === null ? 'completed' : 'failed';
    let output: unknown = null;
    let error = failure;
    if (failure === null) {
      const incomplete = a.plan.filter((p) => !isDone(p.id));
      if (incomplete.length > 0) {
        status = 'failed';
        error = `steps never became ready: ${incomplete.map((p) => p.id).join(', ')}`;
      } else if (a.run.definition.output !== undefined) {
        output = render(a.run.definition.output, this.scope(a));
      }
    }
    const written = await this.d.store.workflows.finishRun(a.run.id, { status, output, error, at });
    if (!written) return;
    a.run = { ...a.run, status, output, error, updatedAt: at, finishedAt: at };
    this.d.logger.info(
      { run_id: a.run.id, status, correlation_id: a.run.correlationId, ...(error ? { error } : {}) },
      'workflow finished',
    );
    this.publish(a.run, {
      type: 'workflow.run',
      at,
      run_id: a.run.id,
      name: a.run.name,
      status,
      resumed: false,
      error,
    });
  }

  /** Runs one top-level step (or parallel group); resolves with a failure message, or null. */
  private async runStep(a: Active, p: PlannedStep): Promise<string | null> {
    const step = this.stepOf(a, p.id);
    if (p.when !== undefined && step.status === 'pending' && !condition(p.when, this.scope(a))) {
      const at = this.now();
      await this.transition(a, step, { status: 'skipped', finishedAt: at });
      for (const b of p.branches) {
        await this.transition(a, this.stepOf(a, b.id), { status: 'skipped', finishedAt: at });
      }
      return null;
    }
    if (p.branches.length === 0) return this.runCall(a, p);

    if (step.status !== 'running') {
      if (!(await this.transition(a, step, { status: 'running', startedAt: this.now() }))) return null;
    }
    const problems = await Promise.all(
      p.branches.map((b) => (FINISHED.includes(this.stepOf(a, b.id).status) ? null : this.runCall(a, b))),
    );
    if (a.abort.signal.aborted) return null;
    const failed = problems.filter((x): x is string => x !== null);
    const group = this.stepOf(a, p.id);
    if (failed.length > 0) {
      const error = failed.join('; ');
      await this.transition(a, group, { status: 'failed', error, finishedAt: this.now() });
      return error;
    }
    const output = Object.fromEntries(p.branches.map((b) => [b.id, this.stepOf(a, b.id).output]));
    await this.transition(a, group, { status: 'completed', output, error: null, finishedAt: this.now() });
    return null;
  }

  /** A step that calls something, with its retries. */
  private async runCall(a: Active, p: PlannedStep): Promise<string | null> {
    const signal = a.abort.signal;
    let step = this.stepOf(a, p.id);
    if (p.parent && p.when !== undefined && !condition(p.when, this.scope(a))) {
      await this.transition(a, step, { status: 'skipped', finishedAt: this.now() });
      return null;
    }
    let lastError = '';
    if (a.interrupted.delete(p.id)) {
      const why = await this.whyRunAgain(a, p);
      if (signal.aborted) return null;
      if (why === null) {
        const error = notRunAgain(p.call as string);
        this.d.logger.warn(
          { run_id: a.run.id, step: p.id, call: p.call, correlation_id: a.run.correlationId },
          'workflow step interrupted by a restart; not run again',
        );
        await this.transition(a, step, { status: 'failed', error, finishedAt: this.now() });
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
      const started = await this.transition(a, step, {
        status: 'running',
        attempts: step.attempts + 1,
        startedAt: step.startedAt ?? this.now(),
        ...(lastError ? { error: lastError } : {}),
      });
      if (!started) return null;
      step = this.stepOf(a, p.id);
      try {
        const input = render(p.input, this.scope(a)) as Record<string, unknown>;
        const output = await raceAbort(this.call(a, p.call as string, input, signal), signal);
        await this.transition(a, step, { status: 'completed', output, error: null, finishedAt: this.now() });
        return null;
      } catch (err) {
        if (signal.aborted) return null;
        lastError = toHubError(err).code === 'internal' ? (err as Error).message : toHubError(err).message;
        if (lastError === '') lastError = 'failed';
      }
    }
    await this.transition(a, step, { status: 'failed', error: lastError, finishedAt: this.now() });
    return `step ${p.id} failed after ${step.attempts} attempt${step.attempts === 1 ? '' : 's'}: ${lastError}`;
  }

  /**
   * Why a step interrupted by a hub restart may run again, or null when it may not: its call may have
   * had its effect, and repeating it is not known to be harmless.
   */
  private async whyRunAgain(a: Active, p: PlannedStep): Promise<string | null> {
    const call = p.call as string;
    if (p.retryOnResume) return 'the step is marked retry_on_resume';
    if (this.ops?.has(call)) return this.ops.repeatable(call) ? `${call} is read-only or idempotent` : null;
    // A downstream tool: what its server says of it (it may still be connecting just after the restart).
    const gateway = this.services.gateway;
    const deadline = Date.now() + this.cfg.toolWaitSeconds * 1000;
    while (gateway.isSafeToRetry(call) === undefined && Date.now() < deadline) {
      try {
        await sleep(100, a.abort.signal);
      } catch {
        return null;
      }
    }
    return gateway.isSafeToRetry(call) === true ? `the gateway treats ${call} as safe to repeat` : null;
  }

  private async call(
    a: Active,
    call: string,
    input: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<unknown> {
    const ops = this.ops as OpRunner;
    const caller = callerOf(a.run.startedBy);
    if (ops.has(call)) return ops.invoke(call, caller, input, { signal, correlationId: a.run.correlationId });
    // A downstream tool: its server may still be connecting (e.g. just after a restart).
    const deadline = Date.now() + this.cfg.toolWaitSeconds * 1000;
    while (!this.services.gateway.tools().some((t) => t.name === call) && Date.now() < deadline) {
      await sleep(100, signal);
    }
    const result = await this.services.gateway.callTool(call, input, {
      signal,
      correlationId: a.run.correlationId,
      requestedBy: a.run.startedBy,
    });
    return callOutput(result);
  }

  private visible(run: StoredRun | undefined, viewer: Caller): StoredRun {
    if (!run || (viewer.kind === 'agent' && run.agentId !== viewer.agentId) || viewer.kind === 'anonymous') {
      throw new HubError('not_found', 'No such workflow run (list_workflows shows yours)');
    }
    return run;
  }

  async get(id: string, viewer: Caller): Promise<RunView> {
    const run = this.visible(await this.d.store.workflows.getRun(id), viewer);
    return runView(run, await this.d.store.workflows.getSteps(id));
  }

  async list(
    viewer: Caller,
    filter: { status?: RunStatus; limit: number },
  ): Promise<Array<Omit<RunView, 'steps'>>> {
    const runs = await this.d.store.workflows.listRuns({
      ...filter,
      ...(viewer.kind === 'agent' ? { agentId: viewer.agentId } : {}),
    });
    return runs.map((r) => {
      const { steps: _steps, ...rest } = runView(r, []);
      return rest;
    });
  }

  async cancel(id: string, viewer: Caller, reason?: string): Promise<RunView> {
    const run = this.visible(await this.d.store.workflows.getRun(id), viewer);
    if (run.status !== 'running') {
      throw new HubError(
        'conflict',
        `Workflow run ${id} is ${run.status} already; only running runs can be cancelled`,
      );
    }
    const at = this.now();
    const error = `cancelled by ${callerKey(viewer)}${reason ? `: ${reason}` : ''}`;
    const written = await this.d.store.workflows.finishRun(id, {
      status: 'cancelled',
      output: null,
      error,
      at,
    });
    if (!written) {
      const now = await this.d.store.workflows.getRun(id);
      throw new HubError('conflict', `Workflow run ${id} is ${now?.status ?? 'gone'} already`);
    }
    const active = this.active.get(id);
    active?.abort.abort(new HubError('conflict', 'workflow cancelled'));
    await active?.done;
    this.d.logger.info(
      { run_id: id, correlation_id: run.correlationId, by: callerKey(viewer) },
      'workflow cancelled',
    );
    this.publish(run, {
      type: 'workflow.run',
      at,
      run_id: id,
      name: run.name,
      status: 'cancelled',
      resumed: false,
      error,
    });
    return this.get(id, viewer);
  }

  /**
   * Waits until the run ends or `timeoutMs` passes; `progress` hears each finished step. Returns the
   * run as it is then (status `running` when the wait ran out).
   */
  async wait(
    id: string,
    viewer: Caller,
    timeoutMs: number,
    signal?: AbortSignal,
    progress?: (done: number, total: number, message: string) => void,
  ): Promise<RunView> {
    const active = this.active.get(id);
    if (active) {
      const total = active.steps.size;
      const listener = (s: StoredStep) => {
        if (!['completed', 'skipped', 'failed'].includes(s.status)) return;
        const done = [...active.steps.values()].filter(
          (x) => x.status !== 'pending' && x.status !== 'running',
        ).length;
        progress?.(done, total, `step ${s.stepId} ${s.status}`);
      };
      if (progress) active.listeners.add(listener);
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          active.done,
          new Promise((r) => {
            timer = setTimeout(r, timeoutMs);
          }),
          ...(signal ? [new Promise((r) => signal.addEventListener('abort', r, { once: true }))] : []),
        ]);
      } finally {
        clearTimeout(timer);
        active.listeners.delete(listener);
      }
    }
    return this.get(id, viewer);
  }

  /** Stops running workflows without recording an end: they stay `running` and resume at the next start. */
  async shutdown(): Promise<void> {
    this.closing = true;
    const all = [...this.active.values()];
    for (const a of all) a.abort.abort(new HubError('unavailable', SHUTDOWN));
    await Promise.allSettled(all.map((a) => a.done));
  }
}
