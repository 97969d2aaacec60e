/** PostgreSQL implementation of DeliveryStore: per-agent delivery settings, one row per agent. */
import type { DeliverySettingsRecord, DeliveryStore } from '../delivery.js';
import type { PgDatabase } from './database.js';
import { type SettingsRow, toSettings } from '../rows/delivery.js';

export class PgDeliveryStore implements DeliveryStore {
  constructor(private readonly db: PgDatabase) {}

  async getSettings(agentId: string): Promise<DeliverySettingsRecord | undefined> {
    const r = (
      await this.db.query<SettingsRow>('SELECT * FROM delivery_settings WHERE agent_id = $1', [agentId])
    )[0];
    return r && toSettings(r);
  }

  /** One upsert: of two nodes writing at once, the later write wins whole (never a mix of both). */
  async putSettings(s: DeliverySettingsRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO delivery_settings (agent_id, settings, updated_at, updated_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (agent_id) DO UPDATE SET settings = excluded.settings,
         updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      [s.agentId, JSON.stringify(s.settings), s.updatedAt, s.updatedBy],
    );
  }
}
