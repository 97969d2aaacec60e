/**
 * Instances: real agent processes the hub spawns, drives and supervises. Each one is registered as
 * an agent (its MCP config points at the hub with its own token), runs in its own process group
 * (recorded in the store, so a restarted hub can kill what a killed hub left behind), and is
 * accounted from its CLI's own result events.
 *
 * This is the façade the operations call; each concern lives in its own module beside it:
 * reaper (orphans a previous run left), resume (after a restart), watchdog (time limits, stuck),
 * spawn, team, turn-requests (send, interrupt), queries, termination (terminate, shutdown), with
 * the shared state in state.ts and one instance's process in supervisor.ts.
 */
import type { Caller } from '../../core/caller.js';
import type { InstanceRecord, InstanceStatus } from '../../store/instances.js';
import type { DomainDeps } from '../deps.js';
import type { Services } from '../index.js';
import { type CoordinateInput, coordinate } from './coordinate.js';
import type { DeliverySettingsOf } from './mail-delivery.js';
import { list, output, status } from './queries.js';
import { reapOrphans } from './reaper.js';
import { resumeAll } from './resume.js';
import { describeRoles } from './roles.js';
import { spawn } from './spawn.js';
import type { SpawnInput } from './spawn-rules.js';
import { type InstanceState, instanceState } from './state.js';
import { spawnTeam, type TeamInput } from './team.js';
import { takeOverDeadNodes } from './takeover.js';
import { stopAll, stopHere, terminate } from './termination.js';
import { interrupt, interruptHere, send, sendHere } from './turn-requests.js';
import type { NodeCalls } from '../cluster/node-calls.js';
import { startWatchdog, stopWatchdog } from './watchdog.js';

export type { SpawnInput } from './spawn-rules.js';

export class InstanceService {
  private readonly st: InstanceState;
  /** Settles once process groups a previous run left behind are killed. */
  readonly ready: Promise<void>;
  /** The instances a previous run left that can be resumed (once the hub listens). */
  private readonly reaped: Promise<InstanceRecord[]>;
  /** Settles once those are resumed (or failed to). */
  recovered: Promise<void> = Promise.resolve();

  /** `services` gives access to the other domains (agents, messages, ...), complete once the hub is built. */
  constructor(
    protected readonly d: DomainDeps,
    protected readonly services: Services,
  ) {
    this.st = instanceState(d, services);
    this.reaped = reapOrphans(this.st).catch((err) => {
      d.logger.error({ err }, 'reaping orphaned instances failed');
      return [];
    });
    this.ready = this.st.ready = this.reaped.then(() => undefined);
    startWatchdog(this.st);
  }

  /** The delivery settings of an instance's agent (null: the spawn's own `delivery_settings`). */
  get deliverySettingsOf(): DeliverySettingsOf | null {
    return this.st.deliverySettingsOf;
  }

  set deliverySettingsOf(fn: DeliverySettingsOf | null) {
    this.st.deliverySettingsOf = fn;
  }

  /**
   * The hub's base URL, for the MCP config each instance gets (known once the hub listens). Instances
   * a previous run left are resumed from here on.
   */
  attach(opts: { hubUrl: () => string }): void {
    this.st.hubUrl = opts.hubUrl;
    this.recovered = this.reaped
      .then((left) => resumeAll(this.st, left))
      .catch((err) => this.d.logger.error({ err }, 'resuming instances after a restart failed'));
    const nodes = this.services.info.nodes;
    if (nodes.clustered) {
      // One node at a time takes a dead node's instances over (each claim is conditional anyway).
      this.d.timers.every('instance takeover', nodes.heartbeatInterval, () => this.takeOver(), {
        oneNodeAtATime: true,
      });
    }
  }

  /**
   * Cluster mode: answers other nodes' turns, interrupts and stops of the instances this node runs,
   * and forwards this node's to theirs.
   */
  serveCalls(calls: NodeCalls): void {
    this.st.calls = calls;
    calls.handle('instance.send', (a) => sendHere(this.st, a.caller, a.id, a.text, a.opts));
    calls.handle('instance.interrupt', (a) => interruptHere(this.st, a.caller, a.id));
    calls.handle('instance.stop', (a) => stopHere(this.st, a.id, a.reason));
  }

  /** Takes over the instances of nodes that stopped beating (the periodic job; tests call it). */
  async takeOver(): Promise<void> {
    await this.recovered;
    await takeOverDeadNodes(this.st);
  }

  /**
   * Spawns an instance and answers once it is ready (or throws when it failed to start, with the
   * reason). `waitReady: false` answers at once (spawn_team waits for all its members together).
   */
  async spawn(caller: Caller, input: SpawnInput, opts: { waitReady?: boolean } = {}) {
    return spawn(this.st, caller, input, opts);
  }

  /** Spawns one instance per member (inline or from a template file); all or none. */
  async spawnTeam(caller: Caller, input: TeamInput) {
    return spawnTeam(this.st, caller, input);
  }

  async send(
    caller: Caller,
    id: string,
    text: string,
    opts: { wait: boolean; timeoutSeconds?: number; signal?: AbortSignal },
  ) {
    return send(this.st, caller, id, text, opts);
  }

  /** Stops the instance's current turn; the instance stays for the next one when its CLI allows. */
  async interrupt(caller: Caller, id: string) {
    return interrupt(this.st, caller, id);
  }

  async output(caller: Caller, id: string, since: string | undefined, limit: number) {
    return output(this.st, caller, id, since, limit);
  }

  async status(caller: Caller, id: string) {
    return status(this.st, caller, id);
  }

  async list(caller: Caller, filter: { status?: InstanceStatus; parent_id?: string; root_id?: string }) {
    return list(this.st, caller, filter);
  }

  /** Stops an instance and all its descendants (children first); answers with every id stopped. */
  async terminate(caller: Caller, id: string, reason?: string) {
    return terminate(this.st, caller, id, reason);
  }

  roles() {
    return describeRoles(this.d.config.home);
  }

  /** One task to several instances: parallel, sequential (each answer feeds the next), or consensus by vote. */
  async coordinate(caller: Caller, input: CoordinateInput, signal?: AbortSignal) {
    return coordinate(this.services, (c, id, text, o) => this.send(c, id, text, o), caller, input, signal);
  }

  /** Hub shutdown: stop every instance (no process is left behind). */
  async shutdown(): Promise<void> {
    this.st.closed = true;
    stopWatchdog(this.st);
    await stopAll(this.st);
  }
}
