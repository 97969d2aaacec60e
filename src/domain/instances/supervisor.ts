/**
 * One running instance: feeds its stdout through the adapter, stores and publishes every event,
 * keeps the accounts from result events, enforces usage limits, and records truthfully how it ended.
 */
import type { LineParser, SessionAdapter } from '../../agents/adapters/types.js';
import type { AgentEvent } from '../../agents/adapters/events.js';
import { exitFailure } from '../../agents/adapters/outcome.js';
import { channels } from '../../bus/bus.js';
import type { HubEvent } from '../../bus/events.js';
import { iso } from '../../core/time.js';
import type { InstanceRecord, InstanceStatus } from '../../store/instances.js';
import type { DomainDeps } from '../deps.js';
import { afterResult } from './accounting.js';
import { usageLimitReached } from './limits.js';
import { type AgentProcess, type ExitInfo, killGroup } from './process.js';
import { TurnQueue } from './turns.js';
import { instanceView } from './views.js';

export class InstanceSupervisor {
  readonly turns = new TurnQueue();
  proc!: AgentProcess;
  lastActivityMs: number;
  readonly startedMs: number;
  /** Set once a stop was asked for: the status and reason to record when the process is gone. */
  private stopping: { status: InstanceStatus; reason: string } | null = null;
  private chain: Promise<void> = Promise.resolve();
  /** Settles when the process is gone and its end recorded. */
  readonly ended: Promise<void>;
  private markEnded!: () => void;

  constructor(
    readonly record: InstanceRecord,
    private readonly adapter: SessionAdapter,
    private readonly d: DomainDeps,
    private readonly graceMs: number,
  ) {
    this.parse = adapter.parser();
    this.startedMs = d.clock.now();
    this.lastActivityMs = this.startedMs;
    this.ended = new Promise((r) => (this.markEnded = r));
  }

  /** Runs in order with the output lines, so the store sees everything in the order it happened. */
  private serial(fn: () => Promise<void>): Promise<void> {
    this.chain = this.chain
      .then(fn)
      .catch((err) => this.d.logger.error({ err, instance: this.record.id }, 'instance event failed'));
    return this.chain;
  }

  private readonly parse: LineParser;

  attach(proc: AgentProcess): void {
    this.proc = proc;
    void proc.exited.then((info) => this.serial(() => this.onExit(info)));
  }

  onLine(line: string): void {
    this.lastActivityMs = this.d.clock.now();
    const events = this.parse(line);
    if (events.length) void this.serial(() => this.onEvents(events));
  }

  private publish(event: HubEvent): void {
    this.d.bus.publish(channels.all, event);
    if (this.record.owner) this.d.bus.publish(channels.agent(this.record.owner), event);
  }

  /** Stores one output event and pushes it with its cursor. */
  async emit(kind: string, data: Record<string, unknown>): Promise<void> {
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
  }

  private async onEvents(events: AgentEvent[]): Promise<void> {
    for (const e of events) {
      const { kind, ...data } = e;
      await this.emit(kind, data);
      if (this.record.status === 'stuck' && !this.stopping && e.kind !== 'result')
        await this.setStatus('busy', null);
      if (e.kind === 'init' && e.session_id) {
        this.record.sessionId = e.session_id;
        await this.d.store.instances.updateInstance(this.record.id, { sessionId: e.session_id });
      }
      if (e.kind === 'text') this.turns.addText(e.text);
      if (e.kind === 'result') await this.onResult(e);
    }
  }

  private async onResult(e: Extract<AgentEvent, { kind: 'result' }>): Promise<void> {
    const u = afterResult(
      { tokens: this.record.tokens, costUsd: this.record.costUsd, byModel: this.record.usage },
      e,
    );
    const turns = this.record.turns + 1;
    Object.assign(this.record, { tokens: u.tokens, costUsd: u.costUsd, usage: u.byModel, turns });
    this.turns.resolveOldest(e, e.failure);
    const busy = this.turns.busy;
    if (this.stopping) {
      await this.d.store.instances.updateInstance(this.record.id, {
        tokens: u.tokens,
        costUsd: u.costUsd,
        usage: u.byModel,
        turns,
      });
    } else {
      await this.setStatus(busy ? 'busy' : 'idle', null, {
        tokens: u.tokens,
        costUsd: u.costUsd,
        usage: u.byModel,
        turns,
        sessionId: e.session_id ?? this.record.sessionId,
      });
    }
    const limit = usageLimitReached(this.record.limits, { tokens: u.tokens, costUsd: u.costUsd, turns });
    if (limit) void this.stop('stopped', limit);
  }

  /** Health loop: busy and silent for stuckMs → status stuck and an instance.stuck event. */
  async checkStuck(nowMs: number, stuckMs: number): Promise<void> {
    if (this.stopping || !this.proc.running || this.record.status !== 'busy') return;
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

  /** Sends one user turn. */
  async send(text: string): Promise<{ turn: number; done: Promise<import('./turns.js').TurnOutcome> }> {
    const t = this.turns.open();
    this.lastActivityMs = this.d.clock.now();
    this.proc.write(this.adapter.encodeTurn(text));
    await this.serial(async () => {
      await this.emit('user', { turn: t.turn, text });
      if (!this.stopping && this.record.status !== 'busy') await this.setStatus('busy', null);
    });
    return t;
  }

  /**
   * Stops the current turn: the CLI's interrupt message on stdin when it has one (the process stays for
   * the next turn), else SIGINT to the process group (what a CLI does with it is up to the CLI).
   */
  interrupt(): { busy: boolean; method: 'stdin_control_request' | 'sigint' } {
    const busy = this.turns.busy;
    if (this.adapter.encodeInterrupt) {
      this.proc.write(this.adapter.encodeInterrupt(`interrupt_${Date.now().toString(36)}`));
      return { busy, method: 'stdin_control_request' };
    }
    if (this.proc.pid > 0) killGroup(this.proc.pid, 'SIGINT');
    return { busy, method: 'sigint' };
  }

  /** Stops the process (close stdin, SIGTERM, SIGKILL) and records the status and reason. */
  async stop(status: InstanceStatus, reason: string): Promise<void> {
    if (!this.stopping && this.proc.running) {
      this.stopping = { status, reason };
      await this.serial(() => this.setStatus('stopping', reason));
      await this.proc.stop(this.graceMs);
    }
    await this.ended;
  }

  private async onExit(info: ExitInfo): Promise<void> {
    const { code, signal } = info;
    const failure = code === 0 && !signal ? null : exitFailure(code, signal);
    if (this.adapter.resultEvents)
      this.turns.failAll(failure ?? "the process exited before the turn's result event");
    else
      this.turns.settleByExit(
        failure
          ? `the program ${code !== null ? `exited with code ${code}` : `was killed by ${signal}`}`
          : null,
      );
    const tail = this.proc.stderrTail.slice(-3).join(' | ');
    await this.emit('exit', { code, signal, ...(tail ? { stderr: tail } : {}) });
    let status: InstanceStatus;
    let reason: string;
    if (this.stopping) {
      ({ status, reason } = this.stopping);
    } else if (code === 0 && !signal) {
      status = 'stopped';
      reason = 'the process exited on its own with code 0';
    } else {
      status = 'failed';
      reason = signal ? `the process was killed by ${signal}` : `the process exited with code ${code}`;
      if (tail) reason += ` (stderr: ${tail.slice(0, 300)})`;
    }
    await this.setStatus(status, reason, {
      exitCode: code,
      exitSignal: signal,
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
