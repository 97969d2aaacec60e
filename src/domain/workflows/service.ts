/**
 * Workflows: durable multi-step runs across downstream tools and hub operations. Each step
 * transition is one store write; a run interrupted by a hub stop or crash is resumed by `resume()`
 * from its last completed steps (those are never run again); a step that was in flight runs again
 * only when that is harmless (see resume.ts), else it fails. Steps act with the starter's identity
 * and every call of a run carries the run's correlation id.
 *
 * Ownership: a run belongs to the node running it (`nodeId`). In cluster mode (PostgreSQL) the owner
 * holds a lease on it (`leaseExpiresAt`, `workflows.leaseSeconds`), renewed for all its runs in one
 * write every `workflows.leaseRenewSeconds`. A node starting takes only runs whose lease has ended;
 * a cluster-wide job (one node at a time) takes over runs whose lease ended since — their node died
 * or stalled — with a conditional write, so exactly one node gets each, and resumes them (the rule
 * of resume.ts decides which in-flight steps run again). A node that lost a run is fenced: its writes
 * name it as owner and are refused, and it stops the run quietly (active-run.ts). On SQLite the hub
 * is one node: at start it takes every running run, and no lease is kept.
 */
import { isAbsolute, join, relative, resolve } from 'node:path';
import { channels } from '../../bus/bus.js';
import { Waiter } from '../../bus/waiter.js';
import type { WorkflowEvent } from '../../bus/workflow-events.js';
import { type Caller, callerKey } from '../../core/caller.js';
import { HubError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { iso } from '../../core/time.js';
import type { RunStatus, StoredRun, StoredStep } from '../../store/workflows.js';
import type { DomainDeps } from '../deps.js';
import type { Services } from '../index.js';
import { ActiveRun, FINISHED, type OpRunner, publishRunEvent, UNFINISHED } from './active-run.js';
import { type PlannedStep, planDefinition, readDefinitionFile } from './definition.js';
import type { RunView, StepView } from '../../core/wire/index.js';
import { runView } from './views.js';

export type { OpRunner } from './active-run.js';
export type { RunView, StepView };

export class WorkflowService {
  private ops: OpRunner | undefined;
  private readonly active = new Map<string, ActiveRun>();
  private closing = false;
  private leasing = false;
  /** Settles once the runs taken at start are running here (a wait on one of them waits for it). */
  private resuming: Promise<unknown> = Promise.resolve();
  private taking: Promise<number> = Promise.resolve(0);

  /** `services` gives access to the other domains (gateway, agents, ...), complete once the hub is built. */
  constructor(
    protected readonly d: DomainDeps,
    protected readonly services: Services,
  ) {
    // A run cancelled on another node: its runner here stops at once (its next write would be
    // refused anyway, and its lease renewal would find the run ended).
    if (d.store.kind === 'postgres') {
      d.bus.subscribe(channels.all, (e) => {
        if (e.type === 'workflow.run' && e.status === 'cancelled')
          this.active.get(e.run_id)?.lost('cancelled on another node');
      });
    }
  }

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

  /** This node: the owner of the runs it starts or takes over. */
  private get nodeId(): string {
    return this.services.info.nodes.id;
  }

  /** Several nodes may share the store (PostgreSQL): runs are owned under leases. */
  private get cluster(): boolean {
    return this.d.store.kind === 'postgres';
  }

  /** The end of a lease taken or renewed now (none on SQLite: one node, its runs are its own). */
  private leaseUntil(): string | undefined {
    return this.cluster ? iso(this.d.clock.now() + this.cfg.leaseSeconds * 1000) : undefined;
  }

  private publish(run: StoredRun, event: WorkflowEvent): void {
    publishRunEvent(this.d, run, event);
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
      nodeId: this.nodeId,
      ...(this.cluster ? { leaseExpiresAt: this.leaseUntil() } : {}),
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

  /**
   * At start: takes the runs this node may run and resumes them from their completed steps — on
   * SQLite every running run; in cluster mode those whose owner's lease has ended (then keeps this
   * node's leases renewed and takes over runs of dead nodes from then on).
   */
  async resume(): Promise<number> {
    if (this.cluster && !this.leasing && !this.closing) {
      this.leasing = true;
      const everyMs = this.cfg.leaseRenewSeconds * 1000;
      this.d.timers.every('workflow lease renewal', everyMs, () => this.renewLeases());
      this.d.timers.every('workflow takeover', everyMs, () => this.takeOver(), { oneNodeAtATime: true });
    }
    const taking = this.takeOver();
    this.resuming = taking.catch(() => {});
    return taking;
  }

  /** Renews this node's leases on its running runs (one write); stops those it no longer owns. */
  private async renewLeases(): Promise<void> {
    const ids = [...this.active.keys()];
    if (ids.length === 0 || this.closing) return;
    const until = this.leaseUntil() as string;
    const held = new Set(await this.d.store.workflows.renewLeases(this.nodeId, ids, until));
    for (const id of ids) {
      if (!held.has(id)) this.active.get(id)?.lost('its lease could not be renewed');
    }
  }

  /**
   * Claims the runs this node may take now and resumes those it is not running already. One at a
   * time on this node (the start's and the periodic job's), so no run is launched here twice.
   */
  private takeOver(): Promise<number> {
    const next = this.taking.then(() => this.takeOverNow());
    this.taking = next.catch(() => 0);
    return next;
  }

  private async takeOverNow(): Promise<number> {
    if (this.closing) return 0;
    const claimed = await this.d.store.workflows.claimRuns(
      this.nodeId,
      this.leaseUntil() ?? null,
      this.cluster ? this.now() : undefined,
    );
    let resumed = 0;
    for (const run of claimed) {
      if (this.active.has(run.id) || this.closing) continue;
      let plan: PlannedStep[];
      try {
        plan = planDefinition(run.definition, () => null).steps;
      } catch (err) {
        const error = `stored definition no longer valid: ${(err as Error).message}`;
        await this.d.store.workflows.finishRun(
          run.id,
          { status: 'failed', output: null, error, at: this.now() },
          this.nodeId,
        );
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
    const active = new ActiveRun(
      this.d,
      this.services,
      this.ops as OpRunner,
      run,
      plan,
      steps,
      resumed,
      this.nodeId,
    );
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
    active.done = active
      .execute()
      .catch((err) => {
        this.d.logger.error({ err, run_id: run.id }, 'workflow runner failed');
      })
      .finally(() => this.active.delete(run.id));
  }

  /** Whether this node is running the run now (it owns it and its loop is going). */
  isRunningHere(id: string): boolean {
    return this.active.has(id);
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
      cancelSteps: UNFINISHED,
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
    await this.resuming;
    const active = this.active.get(id);
    if (!active) {
      await this.waitElsewhere(
        this.visible(await this.d.store.workflows.getRun(id), viewer),
        timeoutMs,
        signal,
      );
    } else {
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

  /**
   * Waits for a run this node is not running — another node's, in a cluster — to end: woken by its
   * events, which reach every node through the bus; the store says whether it ended.
   */
  private async waitElsewhere(run: StoredRun, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (run.status !== 'running') return;
    const waiter = new Waiter(
      this.d.bus,
      [channels.all],
      (e) => (e.type === 'workflow.run' || e.type === 'workflow.step') && e.run_id === run.id,
    );
    try {
      await waiter.until(
        async () => {
          const now = await this.d.store.workflows.getRun(run.id);
          return now?.status === 'running' ? undefined : true;
        },
        { timeoutMs, ...(signal ? { signal } : {}) },
      );
    } finally {
      waiter.close();
    }
  }

  /**
   * Stops running workflows without recording an end: they stay `running` and resume at the next
   * start — in cluster mode on another node at once (their leases are ended here, not left to run out).
   */
  async shutdown(): Promise<void> {
    this.closing = true;
    const ids = [...this.active.keys()];
    const all = [...this.active.values()];
    for (const a of all) a.abort.abort(new HubError('unavailable', 'hub shutting down'));
    await Promise.allSettled(all.map((a) => a.done));
    if (this.cluster && ids.length > 0) {
      await this.d.store.workflows
        .renewLeases(this.nodeId, ids, iso(this.d.clock.now() - 1))
        .catch((err) => this.d.logger.warn({ err }, 'releasing workflow leases failed'));
    }
  }
}
