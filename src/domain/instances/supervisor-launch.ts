/**
 * An instance's process launch and readiness: start (per-turn: its program must exist; session: the
 * CLI is launched and must answer its readiness probe, or print its init, within
 * `instances.readySeconds`), the `ready`/`resumed` event, and each process's spawn with its pid and
 * process group recorded for the reaper.
 */
import type { Launch } from '../../agents/adapters/types.js';
import { AgentProcess } from './process.js';
import { resolveProgram } from './program.js';
import { onSessionExit } from './supervisor-exit.js';
import type { InstanceSupervisor } from './supervisor.js';

/**
 * Starts the instance (or resumes it after a hub restart); settles once it is ready, or once it
 * failed to start (the status and reason say why). True when ready.
 */
export async function start(s: InstanceSupervisor, resumed?: { lostTurn: boolean }): Promise<boolean> {
  const began = s.d.clock.now();
  let ok: boolean;
  if (s.adapter.mode === 'per-turn') {
    const program = programOf(s, s.adapter.launchTurn(s.spec, ''));
    ok = program.found;
    if (!ok) await s.serial(() => s.finish('failed', `cannot start: ${program.why}`));
  } else {
    ok = await launchSession(s);
  }
  if (!ok) return false;
  s.ready = true;
  await s.serial(async () => {
    await s.emit(resumed ? 'resumed' : 'ready', {
      after_ms: Math.round(s.d.clock.now() - began),
      ...(resumed
        ? {
            session_id: s.record.sessionId,
            lost_turn: resumed.lostTurn,
            resume: s.spec.resume ?? null,
            // Why it was resumed (a restart; a dead node's takeover names the node), cleared from the status next.
            reason: s.record.reason,
          }
        : {}),
    });
    if (!s.stopping && !s.finished && s.record.status === 'starting')
      await s.setStatus(s.turns.busy ? 'busy' : 'idle', null);
  });
  return !s.finished;
}

function programOf(s: InstanceSupervisor, launch: Launch): { found: boolean; why: string } {
  const path = resolveProgram(launch.file, launch.env.PATH);
  return path
    ? { found: true, why: '' }
    : {
        found: false,
        why: `program ${launch.file} not found (is the ${s.adapter.name} CLI installed?)`,
      };
}

/** Launches the session process and waits until it is ready; false when it failed to start. */
export async function launchSession(s: InstanceSupervisor): Promise<boolean> {
  if (s.adapter.mode !== 'session') return false;
  const adapter = s.adapter;
  const proc = await spawnProcess(s, adapter.launch(s.spec));
  void proc.exited.then((info) => s.serial(() => onSessionExit(s, proc, info)));
  if (proc.pid <= 0) {
    await proc.exited;
    await s.drained();
    return false;
  }
  if (!adapter.encodeReadyProbe) return true;
  const id = `ready_${s.record.id}_${s.record.restarts}`;
  const ok = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), s.timing.readyMs);
    timer.unref();
    s.readyWait = {
      id,
      resolve: (v) => {
        clearTimeout(timer);
        resolve(v);
      },
    };
    void proc.exited.then(() => s.readyWait?.resolve(false));
    if (s.sawInit) s.readyWait.resolve(true);
    else proc.write(adapter.encodeReadyProbe!(id));
  });
  s.readyWait = null;
  if (ok) return true;
  if (proc.running) {
    await s.stop(
      'failed',
      `failed to start: the CLI did not answer its readiness probe within ${s.timing.readyMs / 1000} s`,
    );
  }
  await s.ended;
  return false;
}

/** Spawns one process of the instance (a fresh parser for its output) and records its pid and group. */
export async function spawnProcess(s: InstanceSupervisor, launch: Launch): Promise<AgentProcess> {
  s.parse = s.adapter.parser();
  s.sawInit = false;
  const proc = new AgentProcess(launch, s.record.workspace, (line) => s.onLine(line));
  s.proc = proc;
  if (proc.pid > 0) {
    s.record.pid = proc.pid;
    s.record.pgid = proc.pid;
    await s.d.store.instances.updateInstance(s.record.id, { pid: proc.pid, pgid: proc.pid });
  }
  return proc;
}
