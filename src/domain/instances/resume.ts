/**
 * Resume after a restart: brings back the instances a previous run left (the reaper chose them)
 * with the same agent, workspace and CLI session; one that cannot be relaunched is marked failed.
 */
import { type AdapterName, adapterFor, type LaunchSpec } from '../../agents/adapters/index.js';
import { iso } from '../../core/time.js';
import type { InstanceRecord } from '../../store/instances.js';
import { launchSpec } from './launch-spec.js';
import type { InstanceState } from './state.js';
import { supervise } from './supervision.js';
import { instanceToken, prepareInstanceFiles } from './workspace.js';

/** Brings back the instances a previous run left: same agent, workspace and CLI session. */
export async function resumeAll(st: InstanceState, left: InstanceRecord[]): Promise<void> {
  const { d } = st;
  const hubUrl = st.hubUrl();
  await Promise.all(
    left.map(async (r) => {
      const lostTurn = r.status === 'busy' || r.status === 'stuck';
      const adapter = adapterFor(r.adapter as AdapterName);
      const token = instanceToken(d.config.home, r.id)!;
      const files = prepareInstanceFiles({
        home: d.config.home,
        instanceId: r.id,
        hubUrl,
        token,
        workspace: r.workspace,
      });
      let spec: LaunchSpec;
      try {
        spec = launchSpec(d, r, adapter, files, hubUrl, token);
      } catch (err) {
        // E.g. an instances.env reference the restarted hub cannot resolve: say so, leave no limbo.
        await d.store.instances.updateInstance(r.id, {
          status: 'failed',
          reason: `the hub restarted and could not resume it: ${(err as Error).message}`,
          endedAt: iso(d.clock.now()),
        });
        return;
      }
      spec.resume = adapter.mode === 'per-turn' || r.turns > 0 ? r.sessionId : null;
      r.status = 'starting';
      r.reason = 'the hub restarted; resuming';
      await d.store.instances.updateInstance(r.id, { status: r.status, reason: r.reason });
      const sup = supervise(st, r, adapter, spec);
      const ok = await sup.start({ lostTurn });
      d.logger.info({ instance: r.id, ok, session: r.sessionId }, 'instance resumed after a restart');
    }),
  );
}
