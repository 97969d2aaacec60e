/**
 * Persistence for per-agent delivery settings: the DeliveryStore part of the Store interface. The
 * settings are kept as the agent set them (a JSON object, validated by the domain before it is
 * stored); reading fills in the defaults.
 */

export interface DeliverySettingsRecord {
  agentId: string;
  /** The fields the agent set (JSON object). */
  settings: Record<string, unknown>;
  updatedAt: string;
  /** Who set them: the agent itself, or null for the admin. */
  updatedBy: string | null;
}

export interface DeliveryStore {
  getSettings(agentId: string): Promise<DeliverySettingsRecord | undefined>;
  /** Stores the settings, replacing what the agent had. */
  putSettings(record: DeliverySettingsRecord): Promise<void>;
}
