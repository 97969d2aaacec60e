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
