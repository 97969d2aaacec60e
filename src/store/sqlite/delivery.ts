/** SQLite implementation of DeliveryStore. Reads run at once; writes go through the group-commit batcher. */
import type { Database, Statement } from 'better-sqlite3';
import type { DeliverySettingsRecord, DeliveryStore } from '../delivery.js';
import type { WriteBatcher } from './batcher.js';
import { type SettingsRow, toSettings } from '../rows/delivery.js';

export class SqliteDeliveryStore implements DeliveryStore {
  private readonly byAgent: Statement;
  private readonly upsert: Statement;

  constructor(
    readonly db: Database,
    readonly batcher: WriteBatcher,
  ) {
    this.byAgent = db.prepare('SELECT * FROM delivery_settings WHERE agent_id = ?');
    this.upsert = db.prepare(`INSERT INTO delivery_settings (agent_id, settings, updated_at, updated_by)
      VALUES (@agent_id, @settings, @updated_at, @updated_by)
      ON CONFLICT (agent_id) DO UPDATE SET settings = excluded.settings,
        updated_at = excluded.updated_at, updated_by = excluded.updated_by`);
  }

  async getSettings(agentId: string): Promise<DeliverySettingsRecord | undefined> {
    const r = this.byAgent.get(agentId) as SettingsRow | undefined;
    return r && toSettings(r);
  }

  putSettings(s: DeliverySettingsRecord): Promise<void> {
    return this.batcher.run(() => {
      this.upsert.run({
        agent_id: s.agentId,
        settings: JSON.stringify(s.settings),
        updated_at: s.updatedAt,
        updated_by: s.updatedBy,
      });
    });
  }
}
