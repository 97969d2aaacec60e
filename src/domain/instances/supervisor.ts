/**
 * One instance: runs its CLI's processes, feeds their stdout through the adapter, stores and
 * publishes every event, keeps the accounts from result events, enforces usage limits, and records
 * truthfully how it ended.
 *
 * Two process models (the adapter's `mode`):
 * - session (Claude Code, any command): one process for the instance's life; each turn is written to
 *   its stdin. Ready once the CLI answers its readiness probe (Claude Code's `initialize` control
 *   request) or prints its init. With a restart policy, a process that dies on its own is relaunched
 *   resuming the CLI's session.
 * - per-turn (codex, gemini): one process per turn, run one at a time; from the second turn on it
 *   continues the session the first one named. Between turns no process runs.
 */
import type { AgentEvent, TurnResult } from '../../agents/adapters/events.js';
import { exitFailure } from '../../agents/adapters/outcome.js';
import type { Adapter, Launch, LaunchSpec, LineParser } from '../../agents/adapters/types.js';
import { channels } from '../../bus/bus.js';
import type { HubEvent } from '../../bus/events.js';
import { iso } from '../../core/time.js';
import type { InstanceRecord, InstanceStatus } from '../../store/instances.js';
import type { DomainDeps } from '../deps.js';
import { afterResult, type Usage } from './accounting.js';
import { usageLimitReached } from './limits.js';
import { type Redactor, redactor } from './redact.js';
import { AgentProcess, type ExitInfo, killGroup } from './process.js';
import { resolveProgram } from './program.js';
import { type TurnOutcome, TurnQueue } from './turns.js';
import { instanceView } from './views.js';

export interface SupervisorTiming {
  /** Stopping: after closing stdin, and again after SIGTERM, wait this long. */
  graceMs: number;
  /** A session CLI that has not answered its readiness probe by then failed to start. */
  readyMs: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export class InstanceSupervisor {
  readonly turns: TurnQueue;
  /** The process running now (session: the CLI; per-turn: the current turn's), if any. */
  proc: AgentProcess | null = null;
  lastActivityMs: number;
  readonly startedMs: number;
  /** Set once a stop was asked for: the status and reason to record when the process is gone. */
  private stopping: { status: InstanceStatus; reason: string } | null = null;
  private finished = false;
  /** Stopped by a hub shutdown, to be resumed by the next hub (no end recorded). */
  suspended = false;
  private chain: Promise<void> = Promise.resolve();
  /** Settles when the instance has ended and its end is recorded. */
  readonly ended: Promise<void>;
  private markEnded!: () => void;
  private parse: LineParser = () => [];
  /** The totals before the current session process: its cumulative figures add to these. */
  private base: Usage;
  /** Whether the CLI has said it is up (session) or its program was found (per-turn). */
  private ready = false;
  private readyWait: { id: string; resolve: (ok: boolean) => void } | null = null;
  /** The current process printed its init (which also means it is up). */
  private sawInit = false;
  /** per-turn: turns waiting for their process, run one at a time. */
  private turnChain: Promise<void> = Promise.resolve();
  /** per-turn: the running process's result event, judged together with its exit code. */
  private turnResult: TurnResult | null = null;
  /** Told of every status it is set to (mail delivery wakes an idle instance on it). */
  onStatus?: (status: InstanceStatus) => void;
  /** Takes the instance's own token and the hub's secrets out of everything it stores or publishes. */
  private readonly redact: Redactor;

  constructor(
    readonly record: InstanceRecord,
    private readonly adapter: Adapter,
    private readonly spec: LaunchSpec,
    private readonly d: DomainDeps,
    private readonly timing: SupervisorTiming,
    /** Secrets of the hub's (the admin token) that no output may carry, besides the instance's token. */
    hubSecrets: readonly string[] = [],
  ) {
    this.redact = redactor([spec.token, ...hubSecrets, ...(spec.secrets ?? [])]);
    this.turns = new TurnQueue(record.turns + 1);
    this.startedMs = d.clock.now();
    this.lastActivityMs = this.startedMs;
    this.base = this.totals();
    this.ended = new Promise((r) => (this.markEnded = r));
  }

  /** Whether it takes turns now. */
  get acceptsTurns(): boolean {
    if (this.finished || this.stopping || !this.ready) return false;
    return this.adapter.mode === 'per-turn' || this.proc?.running === true;
  }

  get isReady(): boolean {
    return this.ready;
  }

  private totals(): Usage {
    return { tokens: this.record.tokens, costUsd: this.record.costUsd, byModel: { ...this.record.usage } };
  }

  /** Runs in order with the output lines, so the store sees everything in the order it happened. */
  private serial(fn: () => Promise<void>): Promise<void> {
    this.chain = this.chain
      .then(fn)
      .catch((err) => this.d.logger.error({ err, instance: this.record.id }, 'instance event failed'));
    return this.chain;
  }

  // ------------------------------------------------------------------ starting

  /**
   * Starts the instance (or resumes it after a hub restart); settles once it is ready, or once it
   * failed to start (the status and reason say why). True when ready.
   */
  async start(resumed?: { lostTurn: boolean }): Promise<boolean> {
    const began = this.d.clock.now();
    let ok: boolean;
    if (this.adapter.mode === 'per-turn') {
      const program = this.programOf(this.adapter.launchTurn(this.spec, ''));
      ok = program.found;
      if (!ok) await this.serial(() => this.finish('failed', `cannot start: ${program.why}`));
    } else {
      ok = await this.launchSession();
    }
    if (!ok) return false;
    this.ready = true;
    await this.serial(async () => {
      await this.emit(resumed ? 'resumed' : 'ready', {
        after_ms: Math.round(this.d.clock.now() - began),
        ...(resumed
          ? {
              session_id: this.record.sessionId,
              lost_turn: resumed.lostTurn,
              resume: this.spec.resume ?? null,
            }
          : {}),
      });
      if (!this.stopping && !this.finished && this.record.status === 'starting')
        await this.setStatus(this.turns.busy ? 'busy' : 'idle', null);
    });
    return !this.finished;
  }

  private programOf(launch: Launch): { found: boolean; why: string } {
    const path = resolveProgram(launch.file, launch.env.PATH);
    return path
      ? { found: true, why: '' }
      : {
          found: false,
          why: `program ${launch.file} not found (is the ${this.adapter.name} CLI installed?)`,
        };
  }

  /** Launches the session process and waits until it is ready; false when it failed to start. */
  private async launchSession(): Promise<boolean> {
    if (this.adapter.mode !== 'session') return false;
    const adapter = this.adapter;
    const proc = await this.spawnProcess(adapter.launch(this.spec));
    void proc.exited.then((info) => this.serial(() => this.onSessionExit(proc, info)));
    if (proc.pid <= 0) {
      await proc.exited;
      await this.chain;
      return false;
    }
    if (!adapter.encodeReadyProbe) return true;
    const id = `ready_${this.record.id}_${this.record.restarts}`;
    const ok = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), this.timing.readyMs);
      timer.unref();
      this.readyWait = {
        id,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
      };
      void proc.exited.then(() => this.readyWait?.resolve(false));
      if (this.sawInit) this.readyWait.resolve(true);
      else proc.write(adapter.encodeReadyProbe!(id));
    });
    this.readyWait = null;
    if (ok) return true;
    if (proc.running) {
      await this.stop(
        'failed',
        `failed to start: the CLI did not answer its readiness probe within ${this.timing.readyMs / 1000} s`,
      );
    }
    await this.ended;
    return false;
  }

  private async spawnProcess(launch: Launch): Promise<AgentProcess> {
    this.parse = this.adapter.parser();
    this.sawInit = false;
    const proc = new AgentProcess(launch, this.record.workspace, (line) => this.onLine(line));
    this.proc = proc;
    if (proc.pid > 0) {
      this.record.pid = proc.pid;
      this.record.pgid = proc.pid;
      await this.d.store.instances.updateInstance(this.record.id, { pid: proc.pid, pgid: proc.pid });
    }
    return proc;
  }

  // ------------------------------------------------------------------ output

  onLine(line: string): void {
    this.lastActivityMs = this.d.clock.now();
    // Redacted before anything reads them: the turn's answer, the store, the bus.
    const events = this.parse(line).map((e) => this.redact.value(e));
    if (events.length) void this.serial(() => this.onEvents(events));
  }

  private publish(event: HubEvent): void {
    this.d.bus.publish(channels.all, event);
    if (this.record.owner) this.d.bus.publish(channels.agent(this.record.owner), event);
  }

  /** Stores one output event and pushes it with its cursor. */
  async emit(kind: string, raw: Record<string, unknown>): Promise<void> {
    const data = this.redact.value(raw);
    const at = iso(this.d.clock.now());
    const [seq] = await this.d.store.instances.appendInstanceEvents([
      { instanceId: this.record.id, kind, at, data },
    ]);
    this.record.lastEventAt = at;
    this.publish({
      type: 'instance.output',
      at,
      instance_id: this.record.id,
      cursor: String(seq),
      event: { kind, ...data },
    });
  }

  async setStatus(
    status: InstanceStatus,
    reason: string | null,
    patch: Partial<InstanceRecord> = {},
  ): Promise<void> {
    const previous = this.record.status;
    // Reasons quote stderr: the same redaction as output.
    if (reason !== null) reason = this.redact.text(reason);
    Object.assign(this.record, { status, reason }, patch);
    await this.d.store.instances.updateInstance(this.record.id, {
      status,
      reason,
      lastEventAt: this.record.lastEventAt,
      ...patch,
    });
    if (previous !== status) {
      this.publish({
        type: 'instance.status',
        at: iso(this.d.clock.now()),
        instance_id: this.record.id,
        status,
        previous,
        reason,
      });
    }
    this.onStatus?.(status);
  }

  private async onEvents(events: AgentEvent[]): Promise<void> {
    for (const e of events) {
      if (e.kind === 'control_response') {
        if (this.readyWait && e.request_id === this.readyWait.id) this.readyWait.resolve(true);
        continue;
      }
      const { kind, ...data } = e;
      await this.emit(kind, data);
      if (this.record.status === 'stuck' && !this.stopping && e.kind !== 'result')
        await this.setStatus('busy', null);
      if (e.kind === 'init') {
        this.sawInit = true;
        this.readyWait?.resolve(true);
        if (this.spec.resume && e.session_id && e.session_id !== this.spec.resume) {
          // Some CLI versions start a new session when the one asked for is gone: say so, do not hide it.
          await this.emit('error', {
            message: `asked to resume session ${this.spec.resume}, the CLI started session ${e.session_id}: the earlier conversation is not in its context`,
          });
        }
        if (e.session_id && e.session_id !== this.record.sessionId) {
          this.record.sessionId = e.session_id;
          await this.d.store.instances.updateInstance(this.record.id, { sessionId: e.session_id });
        }
      }
      if (e.kind === 'text') this.turns.addText(e.text);
      if (e.kind === 'result') await this.onResult(e);
    }
  }

  private async onResult(e: TurnResult): Promise<void> {
    const u = afterResult(this.totals(), e, this.base);
    // A CLI reporting running totals: the turn's own usage is what the hub worked out.
    if (u.turn && !e.usage) e.usage = u.turn;
    const turns = this.record.turns + 1;
    const patch = {
      tokens: u.tokens,
      costUsd: u.costUsd,
      usage: u.byModel,
      turns,
      sessionId: e.session_id ?? this.record.sessionId,
    };
    if (this.adapter.mode === 'per-turn') {
      // The turn ends with its process: a non-zero exit after a result still fails it.
      this.turnResult = e;
      Object.assign(this.record, patch);
      await this.d.store.instances.updateInstance(this.record.id, patch);
    } else {
      // The accounts are stored before the turn is answered: what the caller is told is durable.
      const stillBusy = this.turns.pendingCount > 1;
      if (this.stopping) {
        Object.assign(this.record, patch);
        await this.d.store.instances.updateInstance(this.record.id, patch);
      } else {
        await this.setStatus(stillBusy ? 'busy' : 'idle', null, patch);
      }
      this.turns.resolveOldest(e, e.failure);
    }
    const limit = usageLimitReached(this.record.limits, { tokens: u.tokens, costUsd: u.costUsd, turns });
    if (limit) void this.stop('stopped', limit);
  }

  /** Health loop: busy and silent for stuckMs → status stuck and an instance.stuck event. */
  async checkStuck(nowMs: number, stuckMs: number): Promise<void> {
    if (this.stopping || !this.proc?.running || this.record.status !== 'busy') return;
    const silent = nowMs - this.lastActivityMs;
    if (silent < stuckMs) return;
    await this.serial(async () => {
      if (this.record.status !== 'busy') return;
      await this.setStatus('stuck', `busy with no output for ${Math.round(silent / 1000)} s`);
      this.publish({
        type: 'instance.stuck',
        at: iso(this.d.clock.now()),
        instance_id: this.record.id,
        silent_seconds: Math.round(silent / 1000),
      });
    });
  }

  // ------------------------------------------------------------------ turns

  /** Sends one user turn; `note` goes into its `user` output event (e.g. which messages woke it). */
  async send(
    text: string,
    note: Record<string, unknown> = {},
  ): Promise<{ turn: number; done: Promise<TurnOutcome> }> {
    const t = this.turns.open();
    this.lastActivityMs = this.d.clock.now();
    if (this.adapter.mode === 'session') this.proc?.write(this.adapter.encodeTurn(text));
    await this.serial(async () => {
      await this.emit('user', { turn: t.turn, text, ...note });
      if (!this.stopping && this.ready && this.record.status !== 'busy') await this.setStatus('busy', null);
    });
    if (this.adapter.mode === 'per-turn') this.turnChain = this.turnChain.then(() => this.runTurn(text));
    return t;
  }

  /** per-turn: one process for this turn, continuing the session once there is one. */
  private async runTurn(text: string): Promise<void> {
    if (this.adapter.mode !== 'per-turn' || this.stopping || this.finished) return;
    this.turnResult = null;
    this.spec.resume = this.record.sessionId;
    let proc: AgentProcess;
    try {
      proc = await this.spawnProcess(this.adapter.launchTurn(this.spec, text));
    } catch (err) {
      await this.serial(async () => {
        this.turns.resolveOldest(null, `cannot start the turn: ${(err as Error).message}`);
      });
      return;
    }
    this.lastActivityMs = this.d.clock.now();
    const info = await proc.exited;
    await this.serial(() => this.onTurnExit(proc, info));
  }

  private async onTurnExit(proc: AgentProcess, info: ExitInfo): Promise<void> {
    const { code, signal } = info;
    const r = this.turnResult;
    this.turnResult = null;
    const tail = this.redact.text(proc.stderrTail.slice(-3).join(' | '));
    let failure: string | null;
    if (this.stopping && !r) failure = `the instance was stopped: ${this.stopping.reason}`;
    else if (r)
      failure =
        r.failure ??
        (code === 0 && !signal
          ? null
          : `the process ${signal ? `was killed by ${signal}` : `exited with code ${code}`} after its result event`);
    else failure = exitFailure(code, signal) + (tail ? ` (stderr: ${tail.slice(0, 300)})` : '');
    await this.emit('exit', { code, signal, ...(tail ? { stderr: tail } : {}) });
    if (this.proc === proc) this.proc = null;
    if (this.stopping) {
      this.turns.resolveOldest(r, failure);
      await this.finish(this.stopping.status, this.stopping.reason, info);
      return;
    }
    // Stored before the turn is answered: a status read right after the answer is current.
    await this.setStatus(this.turns.pendingCount > 1 ? 'busy' : 'idle', null, {
      exitCode: code,
      exitSignal: signal,
    });
    this.turns.resolveOldest(r, failure);
  }

  /**
   * Stops the current turn: the CLI's interrupt message on stdin when it has one (the process stays for
   * the next turn), else SIGINT to the process group (what a CLI does with it is up to the CLI).
   */
  interrupt(): { busy: boolean; method: 'stdin_control_request' | 'sigint' } {
    const busy = this.turns.busy;
    if (this.adapter.mode === 'session' && this.adapter.encodeInterrupt) {
      this.proc?.write(this.adapter.encodeInterrupt(`interrupt_${Date.now().toString(36)}`));
      return { busy, method: 'stdin_control_request' };
    }
    if (this.proc && this.proc.pid > 0) killGroup(this.proc.pid, 'SIGINT');
    return { busy, method: 'sigint' };
  }

  // ------------------------------------------------------------------ ending

  /** Stops the instance (close stdin, SIGTERM, SIGKILL its process) and records the status and reason. */
  async stop(status: InstanceStatus, reason: string): Promise<void> {
    if (!this.finished && !this.stopping) {
      this.stopping = { status, reason };
      this.readyWait?.resolve(false);
      await this.serial(() => this.setStatus('stopping', reason));
      const proc = this.proc;
      if (proc?.running) await proc.stop(this.timing.graceMs);
      else await this.serial(() => this.finish(status, reason));
    }
    await this.ended;
  }

  /**
   * Hub shutdown of a resumable instance: stops its process like `stop`, but records no end — the
   * status stays what it was (a busy one's turn is lost), so the next hub resumes it.
   */
  async suspend(reason: string): Promise<void> {
    if (!this.finished && !this.stopping) {
      this.suspended = true;
      this.stopping = { status: this.record.status, reason };
      this.readyWait?.resolve(false);
      const proc = this.proc;
      if (proc?.running) await proc.stop(this.timing.graceMs);
      else await this.serial(() => this.finish(this.record.status, reason));
    }
    await this.ended;
  }

  private async onSessionExit(proc: AgentProcess, info: ExitInfo): Promise<void> {
    if (this.finished || this.proc !== proc) return;
    const { code, signal } = info;
    const failure = code === 0 && !signal ? null : exitFailure(code, signal);
    if (this.adapter.mode === 'session' && !this.adapter.resultEvents)
      this.turns.settleByExit(
        failure
          ? `the program ${code !== null ? `exited with code ${code}` : `was killed by ${signal}`}`
          : null,
      );
    else this.turns.failAll(failure ?? "the process exited before the turn's result event");
    const tail = this.redact.text(proc.stderrTail.slice(-3).join(' | '));
    await this.emit('exit', { code, signal, ...(tail ? { stderr: tail } : {}) });
    this.proc = null;
    if (this.stopping) return this.finish(this.stopping.status, this.stopping.reason, info);
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const stderr = tail ? ` (stderr: ${tail.slice(0, 300)})` : '';
    if (!this.ready) return this.finish('failed', `failed to start: the process ${how}${stderr}`, info);
    const policy = this.record.launch.restart;
    if (policy && this.record.restarts < policy.max_restarts && (code !== 0 || signal)) {
      return this.restart(`the process ${how}${stderr}`, info);
    }
    if (code === 0 && !signal)
      return this.finish('stopped', 'the process exited on its own with code 0', info);
    return this.finish('failed', `the process ${how}${stderr}`, info);
  }

  /** The restart policy: relaunch after a backoff, resuming the CLI's session when it has one. */
  private async restart(why: string, info: ExitInfo): Promise<void> {
    const policy = this.record.launch.restart!;
    const n = this.record.restarts + 1;
    const reason = `${why}; restarting (${n} of ${policy.max_restarts})`;
    this.ready = false;
    await this.setStatus('starting', reason, { restarts: n, exitCode: info.code, exitSignal: info.signal });
    await this.emit('restart', { restarts: n, max_restarts: policy.max_restarts, reason: why });
    this.publish({
      type: 'instance.restarted',
      at: iso(this.d.clock.now()),
      instance_id: this.record.id,
      restarts: n,
      reason: why,
    });
    this.d.logger.warn({ instance: this.record.id, restarts: n }, `instance restarting: ${why}`);
    // Outside the event chain: the new process's lines must be handled while it starts.
    void (async () => {
      await sleep(policy.backoff_seconds * 1000 * 2 ** (n - 1));
      if (this.stopping || this.finished) {
        if (!this.finished)
          await this.serial(() => this.finish(this.stopping!.status, this.stopping!.reason));
        return;
      }
      this.base = this.totals();
      this.spec.resume = this.adapter.resumable && this.record.turns > 0 ? this.record.sessionId : null;
      if (await this.launchSession()) {
        this.ready = true;
        await this.serial(async () => {
          await this.emit('ready', { restarts: n, resume: this.spec.resume ?? null });
          if (!this.stopping && !this.finished) await this.setStatus(this.turns.busy ? 'busy' : 'idle', null);
        });
      }
    })();
  }

  /** Records the end: status, reason, exit; fails turns still waiting; settles `ended`. */
  private async finish(status: InstanceStatus, reason: string, info?: ExitInfo): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.ready = false;
    if (this.suspended) {
      this.turns.failAll(`the hub shut down during the turn: ${reason}`);
      // Its processes are gone: nothing for the next hub to kill.
      await this.setStatus(status, reason, { pid: null, pgid: null });
      this.markEnded();
      return;
    }
    this.turns.failAll(`the instance ended: ${reason}`);
    await this.setStatus(status, reason, {
      ...(info ? { exitCode: info.code, exitSignal: info.signal } : {}),
      endedAt: iso(this.d.clock.now()),
    });
    this.publish({
      type: 'instance.ended',
      at: iso(this.d.clock.now()),
      instance: instanceView(this.record),
    });
    this.markEnded();
  }
}
