/**
 * Splits one flush's rollup delta into writes of at most `maxThreadRows` thread rows, so a flush that
 * folded thousands of messages (aggregated once: a minute's pair, agent and call rows are written
 * once per flush, not once per slice) is stored in short transactions with the event loop free
 * between them. Any split is a valid sequence of smaller deltas, given two rules:
 * - the rows of one thread stay in one write, with its "started" mark: a store counts a thread new
 *   to a day when it finds no stored row of it, and a started thread is taken as new without looking;
 * - the aggregated rows (pairs, agents, calls, instance usage) go with the first write.
 */
import type { RollupDelta, ThreadRollup } from '../../store/analytics.js';

export function splitDelta(delta: RollupDelta, maxThreadRows: number): RollupDelta[] {
  if (delta.threads.length <= maxThreadRows) return [delta];
  const byThread = new Map<string, ThreadRollup[]>();
  for (const t of delta.threads) {
    const rows = byThread.get(t.threadId);
    if (rows) rows.push(t);
    else byThread.set(t.threadId, [t]);
  }
  const started = new Set(delta.threadsStarted ?? []);
  const parts: RollupDelta[] = [];
  let part = { ...delta, threads: [] as ThreadRollup[], threadsStarted: [] as string[] };
  for (const [threadId, rows] of byThread) {
    if (part.threads.length > 0 && part.threads.length + rows.length > maxThreadRows) {
      parts.push(part);
      part = { pairs: [], agents: [], calls: [], instanceUsage: [], threads: [], threadsStarted: [] };
    }
    for (const r of rows) part.threads.push(r);
    if (started.has(threadId)) part.threadsStarted.push(threadId);
  }
  parts.push(part);
  return parts;
}
