/**
 * An instance's turns: a user turn is written to the session CLI's stdin, or (per-turn CLIs) run as
 * its own process one at a time, continuing the session; a per-turn process's exit is judged
 * together with its result event. Interrupt stops the turn in progress.
 */
import { exitFailure } from '../../agents/adapters/outcome.js';
import { type AgentProcess, type ExitInfo, killGroup } from './process.js';
import { spawnProcess } from './supervisor-launch.js';
import type { InstanceSupervisor } from './supervisor.js';
import type { TurnOutcome } from './turns.js';

/** Sends one user turn; `note` goes into its `user` output event (e.g. which messages woke it). */
export async function send(
  s: InstanceSupervisor,
  text: string,
  note: Record<string, unknown>,
): Promise<{ turn: number; done: Promise<TurnOutcome> }> {
  const t = s.turns.open();
  s.lastActivityMs = s.d.clock.now();
  if (s.adapter.mode === 'session') s.proc?.write(s.adapter.encodeTurn(text));
  await s.serial(async () => {
    await s.emit('user', { turn: t.turn, text, ...note });
    if (!s.stopping && s.ready && s.record.status !== 'busy') await s.setStatus('busy', null);
  });
  if (s.adapter.mode === 'per-turn') s.turnChain = s.turnChain.then(() => runTurn(s, text));
  return t;
}

/** per-turn: one process for this turn, continuing the session once there is one. */
async function runTurn(s: InstanceSupervisor, text: string): Promise<void> {
  if (s.adapter.mode !== 'per-turn' || s.stopping || s.finished) return;
  s.turnResult = null;
  s.spec.resume = s.record.sessionId;
  let proc: AgentProcess;
  try {
    proc = await spawnProcess(s, s.adapter.launchTurn(s.spec, text));
  } catch (err) {
    await s.serial(async () => {
      s.turns.resolveOldest(null, `cannot start the turn: ${(err as Error).message}`);
    });
    return;
  }
  s.lastActivityMs = s.d.clock.now();
  const info = await proc.exited;
  await s.serial(() => onTurnExit(s, proc, info));
}

async function onTurnExit(s: InstanceSupervisor, proc: AgentProcess, info: ExitInfo): Promise<void> {
  const { code, signal } = info;
  const r = s.turnResult;
  s.turnResult = null;
  const tail = s.redact.text(proc.stderrTail.slice(-3).join(' | '));
  let failure: string | null;
  if (s.stopping && !r) failure = `the instance was stopped: ${s.stopping.reason}`;
  else if (r)
    failure =
      r.failure ??
      (code === 0 && !signal
        ? null
        : `the process ${signal ? `was killed by ${signal}` : `exited with code ${code}`} after its result event`);
  else failure = exitFailure(code, signal) + (tail ? ` (stderr: ${tail.slice(0, 300)})` : '');
  await s.emit('exit', { code, signal, ...(tail ? { stderr: tail } : {}) });
  if (s.proc === proc) s.proc = null;
  if (s.stopping) {
    await s.finish(s.stopping.status, s.stopping.reason, info, () => s.turns.resolveOldest(r, failure));
    return;
  }
  // Stored before the turn is answered: a status read right after the answer is current.
  await s.setStatus(s.turns.pendingCount > 1 ? 'busy' : 'idle', null, {
    exitCode: code,
    exitSignal: signal,
  });
  s.turns.resolveOldest(r, failure);
}

/**
 * Stops the current turn: the CLI's interrupt message on stdin when it has one (the process stays for
 * the next turn), else SIGINT to the process group (what a CLI does with it is up to the CLI).
 */
export function interrupt(s: InstanceSupervisor): {
  busy: boolean;
  method: 'stdin_control_request' | 'sigint';
} {
  const busy = s.turns.busy;
  if (s.adapter.mode === 'session' && s.adapter.encodeInterrupt) {
    s.proc?.write(s.adapter.encodeInterrupt(`interrupt_${Date.now().toString(36)}`));
    return { busy, method: 'stdin_control_request' };
  }
  if (s.proc && s.proc.pid > 0) killGroup(s.proc.pid, 'SIGINT');
  return { busy, method: 'sigint' };
}
