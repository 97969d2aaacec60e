/**
 * The watchdog: a periodic job on the hub's timers (`instances.checkIntervalSeconds`) that stops an
 * instance past its time limits (run time, idle time) and marks a busy, silent one stuck.
 */
import { timeLimitReached } from './limits.js';
import type { InstanceState } from './state.js';

/** The job's name on the hub's timers. */
export const WATCHDOG_JOB = 'instance time limits';

export function startWatchdog(st: InstanceState): void {
  st.d.timers.every(WATCHDOG_JOB, st.d.config.instances.checkIntervalSeconds * 1000, () =>
    checkTimeLimits(st),
  );
}

export function stopWatchdog(st: InstanceState): void {
  st.d.timers.stop(WATCHDOG_JOB);
}

function checkTimeLimits(st: InstanceState): void {
  const nowMs = st.d.clock.now();
  for (const s of st.live.values()) {
    const reason = timeLimitReached(s.record.limits, {
      startedMs: s.startedMs,
      lastActivityMs: s.lastActivityMs,
      busy: s.turns.busy,
      nowMs,
    });
    if (reason) void s.stop('stopped', reason);
    else void s.checkStuck(nowMs, st.d.config.instances.stuckSeconds * 1000);
  }
}
