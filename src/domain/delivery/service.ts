/**
 * Per-agent delivery settings: how an agent's new messages are pushed into its session (the stdio
 * bridge as a Claude Code channel) or wake its supervised instance. `settingsFor` is the store-backed
 * reader every consumer uses; `set` merges a change, stores it and tells the agent's running
 * consumers on its bus channel (`delivery.settings`), so they apply it at once.
 */
import { channels } from '../../bus/bus.js';
import type { DeliverySettings } from '../../core/delivery/settings.js';
import { iso } from '../../core/time.js';
import type { DomainDeps } from '../deps.js';
import { type DeliveryPatch, effectiveSettings, mergeSettings, validSettings } from './rules.js';

export interface DeliverySettingsAnswer {
  agent_id: string;
  settings: DeliverySettings;
  /** When they were last set (null: never, the defaults apply). */
  updated_at: string | null;
}

export class DeliveryService {
  constructor(private readonly d: DomainDeps) {}

  /** The effective settings of an agent (the defaults when it never set any). */
  async settingsFor(agentId: string): Promise<DeliverySettings> {
    return effectiveSettings((await this.d.store.delivery.getSettings(agentId))?.settings);
  }

  async get(agentId: string): Promise<DeliverySettingsAnswer> {
    const row = await this.d.store.delivery.getSettings(agentId);
    return {
      agent_id: agentId,
      settings: effectiveSettings(row?.settings),
      updated_at: row?.updatedAt ?? null,
    };
  }

  /** Merges the change into what the agent set before; `by` is the agent itself or null for the admin. */
  async set(agentId: string, patch: DeliveryPatch, by: string | null): Promise<DeliverySettingsAnswer> {
    const { store, bus, clock } = this.d;
    const row = await store.delivery.getSettings(agentId);
    const fields = mergeSettings(row?.settings ?? {}, patch);
    const settings = validSettings(fields);
    const at = iso(clock.now());
    await store.delivery.putSettings({ agentId, settings: fields, updatedAt: at, updatedBy: by });
    bus.publish(channels.agent(agentId), { type: 'delivery.settings', at, agent_id: agentId, settings });
    return { agent_id: agentId, settings, updated_at: at };
  }
}
