/**
 * Orphans: at hub start, kills every process group a previous run recorded and left running, and
 * decides which of those instances can be resumed (the rest are marked failed with the reason).
 */
import { ADAPTER_NAMES, type AdapterName, adapterFor } from '../../agents/adapters/index.js';
import { iso } from '../../core/time.js';
import type { InstanceRecord } from '../../store/instances.js';
import { killGroup } from './process.js';
import { type InstanceState, TERMINAL } from './state.js';
import { instanceToken } from './workspace.js';

/**
 * Kills every process group a previous run recorded and left running. Answers with the instances
 * to resume; the others are marked failed with the reason.
 */
export async function reapOrphans(st: InstanceState): Promise<InstanceRecord[]> {
  const { d } = st;
  const resume: InstanceRecord[] = [];
  for (const r of await d.store.instances.unfinishedInstances(TERMINAL)) {
    const killed = r.pgid !== null && killGroup(r.pgid, 'SIGKILL');
    d.logger.warn({ instance: r.id, pgid: r.pgid, killed }, 'orphaned instance reaped');
    const why = unresumable(st, r);
    if (!why) {
      resume.push(r);
      continue;
    }
    const reason = killed
      ? `the hub restarted; process group ${r.pgid} left by the previous run was killed (${why})`
      : `the hub restarted; the process was already gone (${why})`;
    const worktree = r.worktree?.state === 'active' ? await st.worktrees.release(r.worktree) : r.worktree;
    await d.store.instances.updateInstance(r.id, {
      status: 'failed',
      reason,
      endedAt: iso(d.clock.now()),
      worktree,
    });
  }
  return resume;
}

/** Why an instance a previous run left (or a hub shutting down stops) cannot be resumed (null: it can). */
export function unresumable(st: InstanceState, r: InstanceRecord): string | null {
  if (!st.d.config.instances.resumeAfterRestart) return 'instances.resumeAfterRestart is off';
  if (r.status === 'starting' || r.status === 'stopping') return `it was ${r.status}`;
  if (!(ADAPTER_NAMES as readonly string[]).includes(r.adapter)) return `unknown adapter ${r.adapter}`;
  const adapter = adapterFor(r.adapter as AdapterName);
  if (!adapter.resumable) return `the ${r.adapter} adapter cannot resume a session`;
  if (!instanceToken(st.d.config.home, r.id)) return 'its private files are gone';
  return null;
}
