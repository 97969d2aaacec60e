/** Topic subscriptions on PostgreSQL: which agents receive messages sent to `topic:<name>`. */
import type { PgDatabase } from './database.js';

export class PgTopics {
  constructor(private readonly db: PgDatabase) {}

  /** True when newly subscribed; `ON CONFLICT DO NOTHING` keeps one row when two nodes subscribe at once. */
  async subscribe(agentId: string, topic: string, at: string): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO topic_subscriptions (topic, agent_id, created_at) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING 1`,
      [topic, agentId, at],
    );
    return rows.length > 0;
  }

  async unsubscribe(agentId: string, topic: string): Promise<boolean> {
    const rows = await this.db.query(
      'DELETE FROM topic_subscriptions WHERE topic = $1 AND agent_id = $2 RETURNING 1',
      [topic, agentId],
    );
    return rows.length > 0;
  }

  /** In byte order (`COLLATE "C"`), as SQLite sorts them. */
  async subscribersOf(topic: string): Promise<string[]> {
    const rows = await this.db.query<{ agent_id: string }>(
      'SELECT agent_id FROM topic_subscriptions WHERE topic = $1 ORDER BY agent_id COLLATE "C"',
      [topic],
    );
    return rows.map((r) => r.agent_id);
  }

  async topicsOf(agentId: string): Promise<string[]> {
    const rows = await this.db.query<{ topic: string }>(
      'SELECT topic FROM topic_subscriptions WHERE agent_id = $1 ORDER BY topic COLLATE "C"',
      [agentId],
    );
    return rows.map((r) => r.topic);
  }
}
