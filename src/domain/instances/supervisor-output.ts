/**
 * An instance's output: each stdout line is parsed by its adapter, redacted, stored and published in
 * order; the readiness answer and init are noticed, a changed session is recorded (and said when a
 * resume was not honoured), result events keep the accounts and stop an instance past its usage
 * limits, and a busy, silent instance is marked stuck.
 */
import type { AgentEvent, TurnResult } from '../../agents/adapters/events.js';
import { iso } from '../../core/time.js';
import { afterResult } from './accounting.js';
import { usageLimitReached } from './limits.js';
import type { InstanceSupervisor } from './supervisor.js';

export function onLine(s: InstanceSupervisor, line: string): void {
  s.lastActivityMs = s.d.clock.now();
  // Redacted before anything reads them: the turn's answer, the store, the bus.
  const events = s.parse(line).map((e) => s.redact.value(e));
  if (events.length) void s.serial(() => onEvents(s, events));
}

async function onEvents(s: InstanceSupervisor, events: AgentEvent[]): Promise<void> {
  for (const e of events) {
    if (e.kind === 'control_response') {
      if (s.readyWait && e.request_id === s.readyWait.id) s.readyWait.resolve(true);
      continue;
    }
    const { kind, ...data } = e;
    await s.emit(kind, data);
    if (s.record.status === 'stuck' && !s.stopping && e.kind !== 'result') await s.setStatus('busy', null);
    if (e.kind === 'init') {
      s.sawInit = true;
      s.readyWait?.resolve(true);
      if (s.spec.resume && e.session_id && e.session_id !== s.spec.resume) {
        // Some CLI versions start a new session when the one asked for is gone: say so, do not hide it.
        await s.emit('error', {
          message: `asked to resume session ${s.spec.resume}, the CLI started session ${e.session_id}: the earlier conversation is not in its context`,
        });
      }
      if (e.session_id && e.session_id !== s.record.sessionId) {
        s.record.sessionId = e.session_id;
        await s.d.store.instances.updateInstance(s.record.id, { sessionId: e.session_id });
      }
    }
    if (e.kind === 'text') s.turns.addText(e.text);
    if (e.kind === 'result') await onResult(s, e);
  }
}

async function onResult(s: InstanceSupervisor, e: TurnResult): Promise<void> {
  const u = afterResult(s.totals(), e, s.base);
  // A CLI reporting running totals: the turn's own usage is what the hub worked out.
  if (u.turn && !e.usage) e.usage = u.turn;
  const turns = s.record.turns + 1;
  const patch = {
    tokens: u.tokens,
    costUsd: u.costUsd,
    usage: u.byModel,
    turns,
    sessionId: e.session_id ?? s.record.sessionId,
  };
  if (s.adapter.mode === 'per-turn') {
    // The turn ends with its process: a non-zero exit after a result still fails it.
    s.turnResult = e;
    Object.assign(s.record, patch);
    await s.d.store.instances.updateInstance(s.record.id, patch);
  } else {
    // The accounts are stored before the turn is answered: what the caller is told is durable.
    const stillBusy = s.turns.pendingCount > 1;
    if (s.stopping) {
      Object.assign(s.record, patch);
      await s.d.store.instances.updateInstance(s.record.id, patch);
    } else {
      await s.setStatus(stillBusy ? 'busy' : 'idle', null, patch);
    }
    s.turns.resolveOldest(e, e.failure);
  }
  const limit = usageLimitReached(s.record.limits, { tokens: u.tokens, costUsd: u.costUsd, turns });
  if (limit) void s.stop('stopped', limit);
}

/** Health loop: busy and silent for stuckMs → status stuck and an instance.stuck event. */
export async function checkStuck(s: InstanceSupervisor, nowMs: number, stuckMs: number): Promise<void> {
  if (s.stopping || !s.proc?.running || s.record.status !== 'busy') return;
  const silent = nowMs - s.lastActivityMs;
  if (silent < stuckMs) return;
  await s.serial(async () => {
    if (s.record.status !== 'busy') return;
    await s.setStatus('stuck', `busy with no output for ${Math.round(silent / 1000)} s`);
    s.publish({
      type: 'instance.stuck',
      at: iso(s.d.clock.now()),
      instance_id: s.record.id,
      silent_seconds: Math.round(silent / 1000),
    });
  });
}
