/**
 * Resume after a restart: brings back the instances a previous run left (the reaper chose them)
 * with the same agent, workspace and CLI session; one that cannot be relaunched is marked failed.
 * The takeover of a dead node's instances (takeover.ts) resumes through here too.
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
  await Promise.all(
    left.map((r) =>
      resumeOne(st, r, instanceToken(st.d.config.home, r.id)!, {
        why: 'the hub restarted',
        claimed: false,
      }),
    ),
  );
}

/**
 * Relaunches one instance with the agent token `token`, resuming its CLI session. `claimed`: the
 * caller already moved it to `starting` (a takeover); else that move is conditional on the record
 * being as read, so a node that took it over meanwhile keeps it.
 */
export async function resumeOne(
  st: InstanceState,
  r: InstanceRecord,
  token: string,
  opts: { why: string; claimed: boolean; lostTurn?: boolean; reason?: string },
): Promise<boolean> {
  const { d } = st;
  const hubUrl = st.hubUrl();
  const lostTurn = opts.lostTurn ?? (r.status === 'busy' || r.status === 'stuck');
  const adapter = adapterFor(r.adapter as AdapterName);
  let spec: LaunchSpec;
  try {
    const files = prepareInstanceFiles({
      home: d.config.home,
      instanceId: r.id,
      hubUrl,
      token,
      workspace: r.workspace,
    });
    spec = launchSpec(d, r, adapter, files, hubUrl, token);
  } catch (err) {
    // E.g. an instances.env reference the restarted hub cannot resolve: say so, leave no limbo.
    const fail = {
      status: 'failed' as const,
      reason: `${opts.why} and could not resume it: ${(err as Error).message}`,
      endedAt: iso(d.clock.now()),
    };
    if (opts.claimed) await d.store.instances.updateInstance(r.id, fail);
    else await d.store.instances.claimInstance(r.id, { nodeId: r.nodeId ?? null, status: r.status }, fail);
    return false;
  }
  spec.resume = adapter.mode === 'per-turn' || r.turns > 0 ? r.sessionId : null;
  const reason = opts.reason ?? `${opts.why}; resuming`;
  if (!opts.claimed) {
    const mine = await d.store.instances.claimInstance(
      r.id,
      { nodeId: r.nodeId ?? null, status: r.status },
      { status: 'starting', reason },
    );
    if (!mine) return false;
  }
  r.status = 'starting';
  r.reason = reason;
  const sup = supervise(st, r, adapter, spec);
  const ok = await sup.start({ lostTurn });
  d.logger.info({ instance: r.id, ok, session: r.sessionId }, `instance resumed (${opts.why})`);
  return ok;
}
