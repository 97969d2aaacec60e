/**
 * Ending instances: terminate_instance stops an instance and all its descendants (children first)
 * and answers once each is cleaned up; hub shutdown stops every live one — suspending those that
 * can resume under the next hub, ending the others.
 */
import type { Caller } from '../../core/caller.js';
import { forbidden } from '../../core/errors.js';
import type { InstanceRecord } from '../../store/instances.js';
import { unresumable } from './reaper.js';
import type { InstanceState } from './state.js';
import { requireInstance } from './visibility.js';

/** Stops an instance and all its descendants (children first); answers with every id stopped. */
export async function terminate(st: InstanceState, caller: Caller, id: string, reason?: string) {
  const r = await requireInstance(st, caller, id);
  if (caller.kind === 'agent' && r.agentId === caller.agentId && r.owner !== caller.agentId) {
    throw forbidden('An instance may not terminate itself; its parent or owner may');
  }
  const tree = await st.d.store.instances.listInstances({ rootId: r.rootId });
  const ids = subtree(r.id, tree);
  const why = reason ?? `terminated by ${caller.kind === 'agent' ? caller.agentId : caller.kind}`;
  await Promise.all(
    ids.map(async (i) => {
      await st.live.get(i)?.stop('stopped', i === r.id ? why : `parent ${r.id} was terminated`);
      await st.cleanups.get(i);
    }),
  );
  const after = await Promise.all(ids.map((i) => st.d.store.instances.getInstance(i)));
  return {
    terminated: after.filter(Boolean).map((x) => ({
      instance_id: x!.id,
      status: x!.status,
      reason: x!.reason,
      worktree: x!.worktree
        ? {
            path: x!.worktree.path,
            branch: x!.worktree.branch,
            state: x!.worktree.state,
            note: x!.worktree.note ?? null,
          }
        : null,
    })),
  };
}

/** The instance and its descendants, children before their parents. */
function subtree(root: string, all: InstanceRecord[]): string[] {
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const r of all) if (r.parentId === out[i]) out.push(r.id);
  return out.reverse();
}

/** Hub shutdown: stop every instance (no process is left behind). */
export async function stopAll(st: InstanceState): Promise<void> {
  // Instances that can resume are only suspended: their processes stop, and the next hub on this
  // data directory brings them back (instances.resumeAfterRestart). The others end here.
  await Promise.all(
    [...st.live.values()].map((s) =>
      unresumable(st, s.record) === null && s.isReady
        ? s.suspend('the hub shut down; the instance resumes when the hub starts again')
        : s.stop('stopped', 'the hub shut down'),
    ),
  );
  await Promise.all([...st.cleanups.values()]);
}
