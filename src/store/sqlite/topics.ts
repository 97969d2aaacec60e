/** Topic subscriptions: which agents receive messages sent to `topic:<name>`. */
import type { Database, Statement } from 'better-sqlite3';

export class TopicTable {
  private readonly add: Statement;
  private readonly remove: Statement;
  private readonly subscribers: Statement;
  private readonly ofAgent: Statement;

  constructor(db: Database) {
    this.add = db.prepare(
      'INSERT OR IGNORE INTO topic_subscriptions (topic, agent_id, created_at) VALUES (?, ?, ?)',
    );
    this.remove = db.prepare('DELETE FROM topic_subscriptions WHERE topic = ? AND agent_id = ?');
    this.subscribers = db.prepare(
      'SELECT agent_id FROM topic_subscriptions WHERE topic = ? ORDER BY agent_id',
    );
    this.ofAgent = db.prepare('SELECT topic FROM topic_subscriptions WHERE agent_id = ? ORDER BY topic');
  }

  subscribe(agentId: string, topic: string, at: string): boolean {
    return this.add.run(topic, agentId, at).changes > 0;
  }
  unsubscribe(agentId: string, topic: string): boolean {
    return this.remove.run(topic, agentId).changes > 0;
  }
  subscribersOf(topic: string): string[] {
    return (this.subscribers.all(topic) as Array<{ agent_id: string }>).map((r) => r.agent_id);
  }
  topicsOf(agentId: string): string[] {
    return (this.ofAgent.all(agentId) as Array<{ topic: string }>).map((r) => r.topic);
  }
}
