/**
 * Spawning one instance: the caller's rights and the spawn's sanity are checked (spawn-rules), its
 * agent is registered, its workspace (or worktree) and private files prepared, the record stored,
 * and its process started under supervision. Answers once it is ready, or at once for spawn_team.
 */
import { randomUUID } from 'node:crypto';
import { adapterFor } from '../../agents/adapters/index.js';
import { channels } from '../../bus/bus.js';
import { CHANNEL_INSTRUCTIONS } from '../../core/delivery/event.js';
import type { Caller } from '../../core/caller.js';
import { HubError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { iso } from '../../core/time.js';
import type { InstanceRecord, RestartPolicy } from '../../store/instances.js';
import type { DomainDeps } from '../deps.js';
import { instanceBaseEnv } from './environment.js';
import { launchSpec } from './launch-spec.js';
import { statusOf } from './queries.js';
import { thisNode } from './ownership.js';
import { rolePrompt } from './roles.js';
import { checkProgram, checkSpawn, checkTurnSize, programFor, type SpawnInput } from './spawn-rules.js';
import { type InstanceState, TERMINAL } from './state.js';
import { supervise } from './supervision.js';
import { instanceView } from './views.js';
import { instanceOfAgent, requireInstance } from './visibility.js';
import { instanceDelivery } from './wake-rules.js';
import { prepareInstanceFiles } from './workspace.js';

/**
 * Spawns an instance and answers once it is ready (or throws when it failed to start, with the
 * reason). `waitReady: false` answers at once (spawn_team waits for all its members together).
 */
export async function spawn(
  st: InstanceState,
  caller: Caller,
  input: SpawnInput,
  opts: { waitReady?: boolean } = {},
) {
  const { d } = st;
  await st.ready;
  if (st.closed) throw new HubError('unavailable', 'The hub is shutting down');
  const max = d.config.instances.maxConcurrent;
  if (st.live.size >= max) {
    throw new HubError(
      'conflict',
      `${st.live.size} instances are running, the most allowed (instances.maxConcurrent = ${max}); terminate one or raise the limit`,
    );
  }
  const hubUrl = st.hubUrl();
  if (!hubUrl) throw new HubError('unavailable', 'The hub is not listening yet; spawn instances once it is');
  const prompt = rolePrompt(d.config.home, input.role);
  const adapter = adapterFor(input.adapter);
  checkSpawn(d.config.instances, caller, input, adapter);
  checkProgram(d.config.instances, input);
  // instances.env references that cannot be resolved fail here, before anything is stored.
  instanceBaseEnv(d.config.instances, adapter, undefined);
  if (input.task !== undefined) checkTurnSize(adapter, input.task, 'task');
  const delivery = instanceDelivery(input.delivery, input.delivery_settings);

  let parent: InstanceRecord | undefined;
  const parentId =
    input.parent_id ?? (caller.kind === 'agent' ? instanceOfAgent(st, caller.agentId)?.record.id : undefined);
  if (parentId) {
    parent = await requireInstance(st, caller, parentId).catch(() => {
      throw new HubError('invalid_input', `parent_id: no instance ${parentId} you can see`);
    });
    if (TERMINAL.includes(parent.status))
      throw new HubError('invalid_input', `parent_id: instance ${parentId} has ended`);
  }
  const ownerAgent = caller.kind === 'agent' ? await st.services.agents.find(caller.agentId) : undefined;
  const owner = parent?.owner ?? (caller.kind === 'agent' ? caller.agentId : null);

  const id = newId('ins');
  const name = input.name ?? `${input.role}-${id.slice(-6).toLowerCase()}`;
  const worktree = input.workspace ? await st.worktrees.create(id, input.workspace) : null;
  const reg = await st.services.agents.register(
    {
      name,
      role: input.role,
      capabilities: input.capabilities,
      project: ownerAgent?.project,
      description: `Instance ${id} (${input.adapter})`,
      metadata: { instance_id: id, parent_instance_id: parent?.id ?? null, spawned_by: owner },
    },
    { kind: 'admin' },
  );
  const files = prepareInstanceFiles({
    home: d.config.home,
    instanceId: id,
    hubUrl,
    token: reg.token!,
    script: input.script,
    workspace: worktree?.path,
  });
  const restart: RestartPolicy | undefined = input.restart
    ? { max_restarts: input.restart.max_restarts, backoff_seconds: input.restart.backoff_seconds ?? 1 }
    : undefined;
  const record: InstanceRecord = {
    id,
    agentId: reg.agent.agent_id,
    owner,
    parentId: parent?.id ?? null,
    rootId: parent?.rootId ?? id,
    name,
    adapter: input.adapter,
    role: input.role,
    model: input.model ?? null,
    workspace: files.workspace,
    worktree,
    status: 'starting',
    reason: null,
    pid: null,
    pgid: null,
    // Claude Code takes the session id it is given; per-turn CLIs name their own.
    sessionId: adapter.mode === 'session' ? randomUUID() : null,
    limits: input.limits ?? {},
    usage: {},
    tokens: 0,
    costUsd: 0,
    turns: 0,
    exitCode: null,
    exitSignal: null,
    createdAt: iso(d.clock.now()),
    lastEventAt: null,
    endedAt: null,
    launch: {
      system_prompt:
        [prompt, input.system_prompt, delivery.mode === 'manual' ? '' : CHANNEL_INSTRUCTIONS]
          .filter(Boolean)
          .join('\n\n') || undefined,
      command: programFor(d.config.instances, input, input.script_file ?? files.scriptFile),
      permission_mode: input.permission_mode ?? 'accept_edits',
      ...(restart ? { restart } : {}),
    },
    restarts: 0,
    delivery,
    // The node that runs its process: other nodes forward its turns and stops here.
    nodeId: thisNode(st),
  };
  const spec = launchSpec(d, record, adapter, files, hubUrl, reg.token!);
  await d.store.instances.createInstance(record);
  const sup = supervise(st, record, adapter, spec);
  publish(d, record, { type: 'instance.spawned', at: record.createdAt, instance: instanceView(record) });
  const started = sup.start();
  st.startups.set(id, started);
  void started.finally(() => st.startups.delete(id));
  if (opts.waitReady === false) {
    if (input.task)
      void started.then(async (ok) => {
        if (ok) await sup.send(input.task!);
      });
    return statusOf(st, record);
  }
  if (!(await started)) throw failedStart(record);
  if (input.task) await sup.send(input.task);
  return statusOf(st, record);
}

export function failedStart(r: InstanceRecord): HubError {
  return new HubError('unavailable', `Instance ${r.id} failed to start: ${r.reason ?? r.status}`, {
    details: { instance_id: r.id, status: r.status, reason: r.reason },
  });
}

function publish(d: DomainDeps, r: InstanceRecord, event: Parameters<DomainDeps['bus']['publish']>[1]): void {
  d.bus.publish(channels.all, event);
  if (r.owner) d.bus.publish(channels.agent(r.owner), event);
}
