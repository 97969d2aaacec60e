/**
 * Orphans: at hub start, kills every process group a previous run of THIS node recorded and left
 * running, and decides which of those instances can be resumed (the rest are marked failed with the
 * reason). Instances other nodes run are theirs: not touched here (their pgids mean nothing on this
 * machine, and killing them could kill an unrelated local process that reuses the number).
 */
import { ADAPTER_NAMES, type AdapterName, adapterFor } from '../../agents/adapters/index.js';
import { iso } from '../../core/time.js';
import type { InstanceRecord } from '../../store/instances.js';
import { ownedHere } from './ownership.js';
import { killGroup } from './process.js';
import { type InstanceState, TERMINAL } from './state.js';
import { instanceToken } from './workspace.js';

/**
 * Kills every process group a previous run of this node recorded and left running. Answers with
 * the instances to resume; the others are marked failed with the reason.
 */
export async function reapOrphans(st: InstanceState): Promise<InstanceRecord[]> {
  const { d } = st;
  const resume: InstanceRecord[] = [];
  for (const r of await d.store.instances.unfinishedInstances(TERMINAL)) {
    if (!ownedHere(st, r)) continue;
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
    // Conditional: another node may have taken it over while this one was down.
    await d.store.instances.claimInstance(
      r.id,
      { nodeId: r.nodeId ?? null, status: r.status },
      { status: 'failed', reason, endedAt: iso(d.clock.now()), worktree },
    );
  }
  return resume;
}

/** Why an instance a previous run left (or a hub shutting down stops) cannot be resumed (null: it can). */
export function unresumable(st: InstanceState, r: InstanceRecord): string | null {
  const why = notResumable(st, r);
  if (why) return why;
  if (!instanceToken(st.d.config.home, r.id)) return 'its private files are gone';
  return null;
}

/** Why an instance cannot be resumed on any node (its settings, state and adapter; null: it can). */
export function notResumable(st: InstanceState, r: InstanceRecord): string | null {
  if (!st.d.config.instances.resumeAfterRestart) return 'instances.resumeAfterRestart is off';
  if (r.status === 'starting' || r.status === 'stopping') return `it was ${r.status}`;
  if (!(ADAPTER_NAMES as readonly string[]).includes(r.adapter)) return `unknown adapter ${r.adapter}`;
  const adapter = adapterFor(r.adapter as AdapterName);
  if (!adapter.resumable) return `the ${r.adapter} adapter cannot resume a session`;
  return null;
}
