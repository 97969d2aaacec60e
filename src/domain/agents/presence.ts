/** Presence: an agent's status from its declared status and how long ago it was last seen. */
import type { AgentStatus } from '../../core/wire/index.js';
import type { DeclaredStatus } from '../../store/types.js';

export interface PresenceTimeouts {
  idleAfterSeconds: number;
  offlineAfterSeconds: number;
}

export function computeStatus(
  declared: DeclaredStatus,
  lastSeenMs: number,
  retired: boolean,
  nowMs: number,
  t: PresenceTimeouts,
): AgentStatus {
  if (retired) return 'retired';
  const silentFor = (nowMs - lastSeenMs) / 1000;
  if (silentFor >= t.offlineAfterSeconds) return 'offline';
  if (silentFor >= t.idleAfterSeconds) return 'idle';
  return declared;
}

/**
 * Since when a status computed by `computeStatus` holds (ms): the agent's last activity for its
 * declared status, that plus the timeout for idle and offline, its retirement for retired. Of two
 * nodes' views of one agent, the status that began later is the better informed one.
 */
export function statusSince(
  status: AgentStatus,
  lastSeenMs: number,
  retiredAt: string | null,
  t: PresenceTimeouts,
): number {
  if (status === 'retired') return retiredAt ? Date.parse(retiredAt) : lastSeenMs;
  if (status === 'offline') return lastSeenMs + t.offlineAfterSeconds * 1000;
  if (status === 'idle') return lastSeenMs + t.idleAfterSeconds * 1000;
  return lastSeenMs;
}
