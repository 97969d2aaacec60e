/**
 * What the instance modules share: the hub's dependencies, the other domains, and the supervised
 * instances (live, starting, being cleaned up). One per hub, owned by the façade (service.ts); the
 * modules beside it (spawn, team, queries, termination, reaper, resume, watchdog) take it as their
 * first argument.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InstanceStatus } from '../../store/instances.js';
import type { NodeCalls } from '../cluster/node-calls.js';
import type { DomainDeps } from '../deps.js';
import type { Services } from '../index.js';
import type { DeliverySettingsOf } from './mail-delivery.js';
import type { InstanceSupervisor, SupervisorTiming } from './supervisor.js';
import { Worktrees } from './worktrees.js';

export const TERMINAL: InstanceStatus[] = ['stopped', 'failed'];

export interface InstanceState {
  readonly d: DomainDeps;
  /** The other domains (agents, messages, ...), complete once the hub is built. */
  readonly services: Services;
  readonly live: Map<string, InstanceSupervisor>;
  /** Instances starting: settles true once ready, false when the start failed. */
  readonly startups: Map<string, Promise<boolean>>;
  /** Settles once an ended instance is cleaned up (agent retired, worktree removed or kept). */
  readonly cleanups: Map<string, Promise<void>>;
  readonly worktrees: Worktrees;
  /** The hub's base URL (empty until the hub listens). */
  hubUrl: () => string;
  closed: boolean;
  /** Settles once process groups a previous run left behind are killed. */
  ready: Promise<void>;
  /** The delivery settings of an instance's agent (null: the spawn's own `delivery_settings`). */
  deliverySettingsOf: DeliverySettingsOf | null;
  /** The admin token, once read: no instance's output may carry it. */
  adminToken: string | null;
  /** Cluster mode: calls to and from other nodes (turns and stops of instances another node runs). */
  calls: NodeCalls | null;
}

export function instanceState(d: DomainDeps, services: Services): InstanceState {
  return {
    d,
    services,
    live: new Map(),
    startups: new Map(),
    cleanups: new Map(),
    worktrees: new Worktrees(d.config.home),
    hubUrl: () => '',
    closed: false,
    ready: Promise.resolve(),
    deliverySettingsOf: null,
    adminToken: null,
    calls: null,
  };
}

/** The generated admin token the hub keeps in `<home>/admin-token`, if there is one. */
function readAdminTokenFile(home: string): string | null {
  try {
    return readFileSync(join(home, 'admin-token'), 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** The hub's secrets no output may carry: the admin token (from the config, else its file in the data directory). */
export function hubSecrets(st: InstanceState): string[] {
  st.adminToken ??= st.d.config.adminToken ?? readAdminTokenFile(st.d.config.home);
  return st.adminToken ? [st.adminToken] : [];
}

export function supervisorTiming(st: InstanceState): SupervisorTiming {
  const c = st.d.config.instances;
  return { graceMs: c.stopGraceSeconds * 1000, readyMs: c.readySeconds * 1000 };
}
