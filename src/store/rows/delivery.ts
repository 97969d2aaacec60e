/** A delivery settings row as both stores read it, and the record it becomes. */
import type { DeliverySettingsRecord } from '../delivery.js';

export interface SettingsRow {
  agent_id: string;
  settings: string;
  updated_at: string;
  updated_by: string | null;
}

export const toSettings = (r: SettingsRow): DeliverySettingsRecord => ({
  agentId: r.agent_id,
  settings: JSON.parse(r.settings) as Record<string, unknown>,
  updatedAt: r.updated_at,
  updatedBy: r.updated_by,
});
