/**
 * Who sees which instance: the admin every one; an agent those it (or an instance it runs as)
 * spawned, their descendants, and itself. Everything else answers "not found".
 */
import type { Caller } from '../../core/caller.js';
import { notFound } from '../../core/errors.js';
import type { InstanceRecord } from '../../store/instances.js';
import type { InstanceState } from './state.js';
import type { InstanceSupervisor } from './supervisor.js';

/** The admin sees every instance; an agent those it (or an instance it runs as) spawned, and itself. */
export async function visible(st: InstanceState, caller: Caller, r: InstanceRecord): Promise<boolean> {
  if (caller.kind === 'admin') return true;
  if (caller.kind !== 'agent') return false;
  if (r.owner === caller.agentId || r.agentId === caller.agentId) return true;
  for (let p = r.parentId; p;) {
    const parent = await st.d.store.instances.getInstance(p);
    if (!parent) break;
    if (parent.agentId === caller.agentId) return true;
    p = parent.parentId;
  }
  return false;
}

/** The instance (its live record when it runs), if this caller may see it; else not found. */
export async function requireInstance(
  st: InstanceState,
  caller: Caller,
  id: string,
): Promise<InstanceRecord> {
  await st.ready;
  const r = st.live.get(id)?.record ?? (await st.d.store.instances.getInstance(id));
  if (!r || !(await visible(st, caller, r))) throw notFound(`Instance ${id}`);
  return r;
}

/** The instance whose agent this is, if any. */
export function instanceOfAgent(st: InstanceState, agentId: string): InstanceSupervisor | undefined {
  for (const s of st.live.values()) if (s.record.agentId === agentId) return s;
  return undefined;
}
