/**
 * How an instance's processes end: stop (close stdin, SIGTERM, SIGKILL; the asked status and reason
 * recorded), suspend at hub shutdown (no end recorded, the next hub resumes it), the session
 * process's exit judged truthfully, and the restart policy relaunching a crashed session CLI after a
 * backoff, resuming its session.
 */
import { exitFailure } from '../../agents/adapters/outcome.js';
import { iso } from '../../core/time.js';
import type { InstanceStatus } from '../../store/instances.js';
import type { AgentProcess, ExitInfo } from './process.js';
import { launchSession } from './supervisor-launch.js';
import type { InstanceSupervisor } from './supervisor.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/** Stops the instance (close stdin, SIGTERM, SIGKILL its process) and records the status and reason. */
export async function stop(s: InstanceSupervisor, status: InstanceStatus, reason: string): Promise<void> {
  if (!s.finished && !s.stopping) {
    s.stopping = { status, reason };
    s.readyWait?.resolve(false);
    // The process may have ended (and the end been recorded) before this runs: never undo it.
    await s.serial(async () => {
      if (!s.finished) await s.setStatus('stopping', reason);
    });
    const proc = s.proc;
    if (proc?.running) await proc.stop(s.timing.graceMs);
    else await s.serial(() => s.finish(status, reason));
  }
  await s.ended;
}

/**
 * Hub shutdown of a resumable instance: stops its process like `stop`, but records no end — the
 * status stays what it was (a busy one's turn is lost), so the next hub resumes it.
 */
export async function suspend(s: InstanceSupervisor, reason: string): Promise<void> {
  if (!s.finished && !s.stopping) {
    s.suspended = true;
    s.stopping = { status: s.record.status, reason };
    s.readyWait?.resolve(false);
    const proc = s.proc;
    if (proc?.running) await proc.stop(s.timing.graceMs);
    else await s.serial(() => s.finish(s.record.status, reason));
  }
  await s.ended;
}

export async function onSessionExit(
  s: InstanceSupervisor,
  proc: AgentProcess,
  info: ExitInfo,
): Promise<void> {
  if (s.finished || s.proc !== proc) return;
  const { code, signal } = info;
  const failure = code === 0 && !signal ? null : exitFailure(code, signal);
  if (s.adapter.mode === 'session' && !s.adapter.resultEvents)
    s.turns.settleByExit(
      failure
        ? `the program ${code !== null ? `exited with code ${code}` : `was killed by ${signal}`}`
        : null,
    );
  else s.turns.failAll(failure ?? "the process exited before the turn's result event");
  const tail = s.redact.text(proc.stderrTail.slice(-3).join(' | '));
  await s.emit('exit', { code, signal, ...(tail ? { stderr: tail } : {}) });
  s.proc = null;
  if (s.stopping) return s.finish(s.stopping.status, s.stopping.reason, info);
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  const stderr = tail ? ` (stderr: ${tail.slice(0, 300)})` : '';
  if (!s.ready) return s.finish('failed', `failed to start: the process ${how}${stderr}`, info);
  const policy = s.record.launch.restart;
  if (policy && s.record.restarts < policy.max_restarts && (code !== 0 || signal)) {
    return restart(s, `the process ${how}${stderr}`, info);
  }
  if (code === 0 && !signal) return s.finish('stopped', 'the process exited on its own with code 0', info);
  return s.finish('failed', `the process ${how}${stderr}`, info);
}

/** The restart policy: relaunch after a backoff, resuming the CLI's session when it has one. */
async function restart(s: InstanceSupervisor, why: string, info: ExitInfo): Promise<void> {
  const policy = s.record.launch.restart!;
  const n = s.record.restarts + 1;
  const reason = `${why}; restarting (${n} of ${policy.max_restarts})`;
  s.ready = false;
  await s.setStatus('starting', reason, { restarts: n, exitCode: info.code, exitSignal: info.signal });
  await s.emit('restart', { restarts: n, max_restarts: policy.max_restarts, reason: why });
  s.publish({
    type: 'instance.restarted',
    at: iso(s.d.clock.now()),
    instance_id: s.record.id,
    restarts: n,
    reason: why,
  });
  s.d.logger.warn({ instance: s.record.id, restarts: n }, `instance restarting: ${why}`);
  // Outside the event chain: the new process's lines must be handled while it starts.
  void (async () => {
    await sleep(policy.backoff_seconds * 1000 * 2 ** (n - 1));
    if (s.stopping || s.finished) {
      if (!s.finished) await s.serial(() => s.finish(s.stopping!.status, s.stopping!.reason));
      return;
    }
    s.base = s.totals();
    s.spec.resume = s.adapter.resumable && s.record.turns > 0 ? s.record.sessionId : null;
    if (await launchSession(s)) {
      s.ready = true;
      await s.serial(async () => {
        await s.emit('ready', { restarts: n, resume: s.spec.resume ?? null });
        if (!s.stopping && !s.finished) await s.setStatus(s.turns.busy ? 'busy' : 'idle', null);
      });
    }
  })();
}
