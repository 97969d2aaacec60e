/** Which limit an instance is past, if any, as the reason recorded when it is stopped. */
import type { InstanceLimits } from '../../store/instances.js';

export function usageLimitReached(
  limits: InstanceLimits,
  u: { tokens: number; costUsd: number; turns: number },
): string | null {
  if (limits.max_tokens !== undefined && u.tokens > limits.max_tokens)
    return `max_tokens exceeded: ${u.tokens} tokens used, limit ${limits.max_tokens}`;
  if (limits.max_cost_usd !== undefined && u.costUsd > limits.max_cost_usd)
    return `max_cost_usd exceeded: ${u.costUsd} USD spent, limit ${limits.max_cost_usd}`;
  if (limits.max_turns !== undefined && u.turns >= limits.max_turns)
    return `max_turns reached: ${u.turns} turns, limit ${limits.max_turns}`;
  return null;
}

export function timeLimitReached(
  limits: InstanceLimits,
  t: { startedMs: number; lastActivityMs: number; busy: boolean; nowMs: number },
): string | null {
  const wall = (t.nowMs - t.startedMs) / 1000;
  if (limits.max_wall_seconds !== undefined && wall > limits.max_wall_seconds)
    return `max_wall_seconds exceeded: ran ${Math.round(wall)} s, limit ${limits.max_wall_seconds}`;
  const idle = (t.nowMs - t.lastActivityMs) / 1000;
  if (limits.max_idle_seconds !== undefined && idle > limits.max_idle_seconds)
    return `max_idle_seconds exceeded: no output for ${Math.round(idle)} s${t.busy ? ' during a turn' : ''}, limit ${limits.max_idle_seconds}`;
  return null;
}
