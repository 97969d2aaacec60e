/**
 * Supervision: puts an instance under a supervisor (live, its mail delivery hooked up) and cleans up
 * once it ended — worktree released (or kept, with the reason), its agent retired so broadcasts and
 * peer lists skip it. An instance suspended at shutdown keeps both for the next hub.
 */
import type { Adapter, LaunchSpec } from '../../agents/adapters/index.js';
import type { InstanceRecord } from '../../store/instances.js';
import { deliverMail } from './mail-delivery.js';
import { hubSecrets, type InstanceState, supervisorTiming } from './state.js';
import { InstanceSupervisor } from './supervisor.js';

/** Puts an instance under supervision: live, and cleaned up once it ends. */
export function supervise(
  st: InstanceState,
  record: InstanceRecord,
  adapter: Adapter,
  spec: LaunchSpec,
): InstanceSupervisor {
  const sup = new InstanceSupervisor(record, adapter, spec, st.d, supervisorTiming(st), hubSecrets(st));
  st.live.set(record.id, sup);
  deliverMail(sup, adapter, st.d, st.services, st.deliverySettingsOf);
  const cleanup = sup.ended.then(() => ended(st, sup));
  st.cleanups.set(record.id, cleanup);
  void cleanup.finally(() => st.cleanups.delete(record.id));
  return sup;
}

/** After the process is gone: retire its agent, so broadcasts and peer lists skip it. */
async function ended(st: InstanceState, s: InstanceSupervisor): Promise<void> {
  const { d } = st;
  st.live.delete(s.record.id);
  // Suspended at shutdown: it keeps its agent and workspace for the next hub to resume.
  if (s.suspended) return;
  if (s.record.worktree?.state === 'active') {
    const w = await st.worktrees.release(s.record.worktree).catch((err: Error) => ({
      ...s.record.worktree!,
      state: 'kept' as const,
      note: `kept: ${err.message}`,
    }));
    s.record.worktree = w;
    await d.store.instances.updateInstance(s.record.id, { worktree: w });
    await s.emit('workspace', { path: w.path, branch: w.branch, state: w.state, note: w.note ?? null });
    if (w.state === 'kept')
      d.logger.warn({ instance: s.record.id, worktree: w.path }, w.note ?? 'worktree kept');
  }
  await st.services.agents
    .retire(s.record.agentId, { kind: 'admin' }, `instance ${s.record.id} ${s.record.status}`)
    .catch(() => {});
}
