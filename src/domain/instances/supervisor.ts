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
 *
 * This file holds the instance's state and record keeping (event order, output events, status, the
 * recorded end); the rest is in its modules: supervisor-launch (process launch, readiness probe),
 * supervisor-output (the CLI's events, accounts, stuck check), supervisor-turns (turns, per-turn
 * processes, interrupt) and supervisor-exit (stop, suspend, exit and restart policy). Members not
 * marked private are shared with those modules; the instance service uses only the methods below.
 */
import type { TurnResult } from '../../agents/adapters/events.js';
import type { Adapter, LaunchSpec, LineParser } from '../../agents/adapters/types.js';
import { channels } from '../../bus/bus.js';
import type { HubEvent } from '../../bus/events.js';
import { iso } from '../../core/time.js';
import type { InstanceRecord, InstanceStatus } from '../../store/instances.js';
import type { DomainDeps } from '../deps.js';
import type { Usage } from './accounting.js';
import type { AgentProcess, ExitInfo } from './process.js';
import { type Redactor, redactor } from './redact.js';
import { stop, suspend } from './supervisor-exit.js';
import { start } from './supervisor-launch.js';
import { checkStuck, onLine } from './supervisor-output.js';
import { interrupt, send } from './supervisor-turns.js';
import { type TurnOutcome, TurnQueue } from './turns.js';
import { instanceView } from './views.js';

export interface SupervisorTiming {
  /** Stopping: after closing stdin, and again after SIGTERM, wait this long. */
  graceMs: number;
  /** A session CLI that has not answered its readiness probe by then failed to start. */
  readyMs: number;
}

export class InstanceSupervisor {
  readonly turns: TurnQueue;
  /** The process running now (session: the CLI; per-turn: the current turn's), if any. */
  proc: AgentProcess | null = null;
  lastActivityMs: number;
  readonly startedMs: number;
  /** Set once a stop was asked for: the status and reason to record when the process is gone. */
  stopping: { status: InstanceStatus; reason: string } | null = null;
  finished = false;
  /** Stopped by a hub shutdown, to be resumed by the next hub (no end recorded). */
  suspended = false;
  private chain: Promise<void> = Promise.resolve();
  /** Settles when the instance has ended and its end is recorded. */
  readonly ended: Promise<void>;
  private markEnded!: () => void;
  parse: LineParser = () => [];
  /** The totals before the current session process: its cumulative figures add to these. */
  base: Usage;
  /** Whether the CLI has said it is up (session) or its program was found (per-turn). */
  ready = false;
  readyWait: { id: string; resolve: (ok: boolean) => void } | null = null;
  /** The current process printed its init (which also means it is up). */
  sawInit = false;
  /** per-turn: turns waiting for their process, run one at a time. */
  turnChain: Promise<void> = Promise.resolve();
  /** per-turn: the running process's result event, judged together with its exit code. */
  turnResult: TurnResult | null = null;
  /** Told of every status it is set to (mail delivery wakes an idle instance on it). */
  onStatus?: (status: InstanceStatus) => void;
  /** Takes the instance's own token and the hub's secrets out of everything it stores or publishes. */
  readonly redact: Redactor;

  constructor(
    readonly record: InstanceRecord,
    readonly adapter: Adapter,
    readonly spec: LaunchSpec,
    readonly d: DomainDeps,
    readonly timing: SupervisorTiming,
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

  // ------------------------------------------------------------------ the instance's API

  /**
   * Starts the instance (or resumes it after a hub restart); settles once it is ready, or once it
   * failed to start (the status and reason say why). True when ready.
   */
  start(resumed?: { lostTurn: boolean }): Promise<boolean> {
    return start(this, resumed);
  }

  /** Sends one user turn; `note` goes into its `user` output event (e.g. which messages woke it). */
  send(
    text: string,
    note: Record<string, unknown> = {},
  ): Promise<{ turn: number; done: Promise<TurnOutcome> }> {
    return send(this, text, note);
  }

  /** Stops the current turn (the CLI's interrupt message on stdin when it has one, else SIGINT). */
  interrupt(): { busy: boolean; method: 'stdin_control_request' | 'sigint' } {
    return interrupt(this);
  }

  /** Stops the instance (close stdin, SIGTERM, SIGKILL its process) and records the status and reason. */
  stop(status: InstanceStatus, reason: string): Promise<void> {
    return stop(this, status, reason);
  }

  /** Hub shutdown of a resumable instance: stops its process, records no end (the next hub resumes it). */
  suspend(reason: string): Promise<void> {
    return suspend(this, reason);
  }

  /** Health loop: busy and silent for stuckMs → status stuck and an instance.stuck event. */
  checkStuck(nowMs: number, stuckMs: number): Promise<void> {
    return checkStuck(this, nowMs, stuckMs);
  }

  /** One line of the CLI's stdout. */
  onLine(line: string): void {
    onLine(this, line);
  }

  /** Whether it takes turns now. */
  get acceptsTurns(): boolean {
    if (this.finished || this.stopping || !this.ready) return false;
    return this.adapter.mode === 'per-turn' || this.proc?.running === true;
  }

  get isReady(): boolean {
    return this.ready;
  }

  // ------------------------------------------------------------------ record keeping

  totals(): Usage {
    return { tokens: this.record.tokens, costUsd: this.record.costUsd, byModel: { ...this.record.usage } };
  }

  /** Runs in order with the output lines, so the store sees everything in the order it happened. */
  serial(fn: () => Promise<void>): Promise<void> {
    this.chain = this.chain
      .then(fn)
      .catch((err) => this.d.logger.error({ err, instance: this.record.id }, 'instance event failed'));
    return this.chain;
  }

  /** Waits for everything queued on the event chain so far. */
  drained(): Promise<void> {
    return this.chain;
  }

  publish(event: HubEvent): void {
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

  /**
   * Records the end: status, reason, exit; then (stored first: a status read right after an answer
   * is current) `settle` answers what it will and the turns still waiting fail; settles `ended`.
   */
  async finish(status: InstanceStatus, reason: string, info?: ExitInfo, settle?: () => void): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.ready = false;
    if (this.suspended) {
      // Its processes are gone: nothing for the next hub to kill.
      await this.setStatus(status, reason, { pid: null, pgid: null });
      settle?.();
      this.turns.failAll(`the hub shut down during the turn: ${reason}`);
      this.markEnded();
      return;
    }
    await this.setStatus(status, reason, {
      ...(info ? { exitCode: info.code, exitSignal: info.signal } : {}),
      endedAt: iso(this.d.clock.now()),
    });
    settle?.();
    this.turns.failAll(`the instance ended: ${reason}`);
    this.publish({
      type: 'instance.ended',
      at: iso(this.d.clock.now()),
      instance: instanceView(this.record),
    });
    this.markEnded();
  }
}
