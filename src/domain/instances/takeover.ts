/**
 * Taking over a dead node's instances (cluster mode). A cluster-wide periodic job (one node at a
 * time) finds unfinished instances whose owner node is not live (its heartbeats stopped) and marks
 * each with the reason; those that can resume and whose workspace directory exists on the node
 * running the job are claimed by it — a conditional update of the record's node, so two nodes never
 * both take one — and resumed through the restart path (same agent with a new token, same
 * workspace, same CLI session). A node that restarts on its data directory keeps its id, so it
 * finds (and resumes) its own instances itself when it is back before the sweep.
 *
 * A node that LEFT on purpose (SIGTERM, hub close) suspended its resumable instances for its own
 * restart: they are left alone for `instances.takeoverLeftAfterSeconds` after it left (database
 * clock), then taken over like a dead node's. Its restart within that time resumes them itself.
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { admin } from '../../core/caller.js';
import { iso } from '../../core/time.js';
import type { InstanceRecord } from '../../store/instances.js';
import { describeGone } from '../nodes/service.js';
import { thisNode } from './ownership.js';
import { killGroup } from './process.js';
import { notResumable } from './reaper.js';
import { resumeOne } from './resume.js';
import { type InstanceState, TERMINAL } from './state.js';

/** Takes over (resumes here, or marks failed) every unfinished instance whose node is not live. */
export async function takeOverDeadNodes(st: InstanceState): Promise<void> {
  const nodes = st.services.info.nodes;
  if (!nodes.clustered || st.closed || !st.hubUrl()) return;
  const live = await nodes.liveIds();
  // Nodes that left within the grace: their own restart resumes their instances.
  const resting = await nodes.leftWithin(st.d.config.instances.takeoverLeftAfterSeconds * 1000);
  const orphans = (await st.d.store.instances.unfinishedInstances(TERMINAL)).filter(
    (r) => !r.nodeId || (!live.has(r.nodeId) && !resting.has(r.nodeId)),
  );
  for (const r of orphans) {
    if (st.closed) return;
    await takeOver(st, r).catch((err) =>
      st.d.logger.error({ err, instance: r.id, node: r.nodeId }, 'taking over an instance failed'),
    );
  }
}

async function takeOver(st: InstanceState, r: InstanceRecord): Promise<void> {
  const { d } = st;
  const me = thisNode(st);
  const dead = r.nodeId ?? null;
  const node = dead ? await st.services.info.nodes.find(dead) : null;
  const why = !dead
    ? 'no hub node runs it'
    : node?.leftAt
      ? `hub node ${dead} left the cluster at ${node.leftAt} and did not start again within ` +
        `${st.d.config.instances.takeoverLeftAfterSeconds} s (instances.takeoverLeftAfterSeconds)`
      : `hub node ${dead} stopped (${describeGone(node)})`;
  const expect = { nodeId: dead, status: r.status };
  const cannot = notResumable(st, r) ?? notHere(st, r);
  if (!cannot) {
    // Of nodes sweeping at once (or the dead node back on its feet), exactly one moves it.
    const reason = `${why}; resuming on hub node ${me}`;
    const claimed = await d.store.instances.claimInstance(r.id, expect, {
      nodeId: me,
      status: 'starting',
      reason,
    });
    if (!claimed) return;
    killLeftovers(r, node?.host);
    // The dead node's copy of the agent's token is out of reach: the agent gets a new one.
    const agent = await st.services.agents.find(r.agentId);
    const reg = await st.services.agents.register(
      { name: agent?.name ?? r.name, agent_id: r.agentId, rotate_token: true },
      admin,
    );
    const lostTurn = r.status === 'busy' || r.status === 'stuck';
    const resumed = { ...r, nodeId: me };
    d.logger.warn({ instance: r.id, from: dead }, 'taking over an instance of a dead node');
    await resumeOne(st, resumed, reg.token!, { why, claimed: true, lostTurn, reason });
    return;
  }
  const worktree =
    r.worktree?.state === 'active' && existsSync(r.worktree.path)
      ? await st.worktrees.release(r.worktree)
      : r.worktree;
  const failed = await d.store.instances.claimInstance(r.id, expect, {
    status: 'failed',
    reason: `${why}; not resumed: ${cannot}`,
    endedAt: iso(d.clock.now()),
    worktree,
  });
  if (failed) {
    killLeftovers(r, node?.host);
    d.logger.warn({ instance: r.id, from: dead, cannot }, 'instance of a dead node marked failed');
  }
}

/** Why this node cannot resume the instance (null: it can). */
function notHere(st: InstanceState, r: InstanceRecord): string | null {
  if (!existsSync(r.workspace)) return `its workspace ${r.workspace} is not on hub node ${thisNode(st)}`;
  const max = st.d.config.instances.maxConcurrent;
  if (st.live.size >= max) return `hub node ${thisNode(st)} runs the most instances allowed (${max})`;
  return null;
}

/**
 * A dead node on this machine may have left its instance's process group running (a SIGKILLed hub
 * does not take its children along): killed, as its own restart would. A group on another machine
 * is out of reach (and its number means nothing here).
 */
function killLeftovers(r: InstanceRecord, host: string | undefined): void {
  if (r.pgid !== null && host === hostname()) killGroup(r.pgid, 'SIGKILL');
}
