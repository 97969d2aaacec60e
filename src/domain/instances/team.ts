/**
 * Spawning a team: one instance per member (inline, or from a template file only the admin may
 * name), all launched before any is awaited so the team starts in parallel; all or none — when one
 * fails to start, the others are terminated and the failure is the answer.
 */
import type { Caller } from '../../core/caller.js';
import { HubError } from '../../core/errors.js';
import { statusOf } from './queries.js';
import { failedStart, spawn } from './spawn.js';
import { parseTeamTemplate, type SpawnInput } from './spawn-rules.js';
import type { InstanceState } from './state.js';
import { terminate } from './termination.js';

export interface TeamInput {
  members?: Array<Omit<SpawnInput, 'parent_id'>>;
  template_file?: string;
  task?: string;
  parent_id?: string;
}

/** Spawns one instance per member (inline or from a template file); all or none. */
export async function spawnTeam(st: InstanceState, caller: Caller, input: TeamInput) {
  if ((input.members === undefined) === (input.template_file === undefined))
    throw new HubError(
      'invalid_input',
      'members: give either members (a list) or template_file, not both or neither',
    );
  let members = input.members;
  if (input.template_file !== undefined) {
    if (caller.kind !== 'admin' && !st.d.config.instances.allowAgentCommands)
      throw new HubError(
        'forbidden',
        'template_file: only the admin may name a file on the hub host; pass members inline',
      );
    members = parseTeamTemplate(input.template_file);
  }
  const spawned: Array<Awaited<ReturnType<typeof spawn>>> = [];
  try {
    // Launched one after another, then all awaited together: the team starts in parallel.
    for (const m of members!) {
      spawned.push(
        await spawn(
          st,
          caller,
          { ...m, task: m.task ?? input.task, parent_id: input.parent_id },
          { waitReady: false },
        ),
      );
    }
    const ready = await Promise.all(spawned.map((v) => st.startups.get(v.instance_id) ?? true));
    const failed = spawned.find((_, i) => !ready[i]);
    if (failed) {
      const r = (await st.d.store.instances.getInstance(failed.instance_id))!;
      throw failedStart(r);
    }
    for (let i = 0; i < spawned.length; i++) {
      const r = st.live.get(spawned[i]!.instance_id)?.record;
      if (r) spawned[i] = await statusOf(st, r);
    }
  } catch (err) {
    await Promise.all(
      spawned.map((v) => terminate(st, caller, v.instance_id, 'its team failed to spawn').catch(() => {})),
    );
    throw err;
  }
  return spawned;
}
