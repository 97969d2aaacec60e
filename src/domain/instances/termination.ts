/**
 * Ending instances: terminate_instance stops an instance and all its descendants (children first)
 * and answers once each is cleaned up; hub shutdown stops every live one — suspending those that
 * can resume under the next hub, ending the others.
 */
import type { Caller } from '../../core/caller.js';
import { forbidden } from '../../core/errors.js';
import type { InstanceRecord } from '../../store/instances.js';
import { forward, remoteOwner } from './ownership.js';
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
  // A tree may span nodes: each instance is stopped by the node that runs it. Every owner is found
  // (and checked live) before anything stops, so a dead owner stops nothing.
  const byId = new Map(tree.map((x) => [x.id, x]));
  const owners = new Map<string, string | null>();
  for (const i of ids) {
    const rec = i === r.id ? r : byId.get(i);
    owners.set(i, rec ? await remoteOwner(st, rec) : null);
  }
  // A stop waits up to twice the grace (after closing stdin, then after SIGTERM), then the cleanup.
  const stopMs = 2 * st.d.config.instances.stopGraceSeconds * 1000;
  await Promise.all(
    ids.map(async (i) => {
      const text = i === r.id ? why : `parent ${r.id} was terminated`;
      const owner = owners.get(i);
      if (owner) await forward(st.calls!, owner, 'instance.stop', { id: i, reason: text }, stopMs);
      else await stopHere(st, i, text);
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

/** Stops one instance this node runs (also what it does when another node asks) and waits for its cleanup. */
export async function stopHere(st: InstanceState, id: string, reason: string): Promise<void> {
  await st.live.get(id)?.stop('stopped', reason);
  await st.cleanups.get(id);
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
