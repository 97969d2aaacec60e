/**
 * The log an analytics rebuild scans on PostgreSQL (messages with their deliveries, task attempts,
 * instances, instance turn events), read through one connection: the pool for a single scan, or
 * the connection of a snapshot (`PgAnalyticsStore.readLog`) so all the scans of a rebuild read one
 * state of the log.
 */
import type { LogAttempt, LogMessage, LogScans } from '../analytics.js';
import type { Queryable } from './database.js';
import {
  type LogAttemptRow,
  type LogInstanceRow,
  type LogMessageRow,
  toLogAttempt,
  toLogInstance,
  toLogMessage,
} from '../rows/analytics.js';

export class PgLogScans implements LogScans {
  constructor(private readonly c: Queryable) {}

  private async q<R extends object>(sql: string, params: unknown[] = []): Promise<R[]> {
    return (await this.c.query(sql, params)).rows as R[];
  }

  async scanMessages(afterSeq: number, limit: number): Promise<LogMessage[]> {
    const rows = await this.q<LogMessageRow>(
      `SELECT seq, id, from_agent, type, thread_id, reply_to, project, created_at, ack_required
       FROM messages WHERE seq > $1 ORDER BY seq LIMIT $2`,
      [afterSeq, limit],
    );
    if (rows.length === 0) return [];
    const deliveries = await this.q<{
      message_seq: number;
      agent_id: string;
      read_at: string | null;
      acked_at: string | null;
    }>(
      `SELECT message_seq, agent_id, read_at, acked_at FROM deliveries
       WHERE message_seq = ANY($1::bigint[]) ORDER BY message_seq, cursor`,
      [rows.map((r) => r.seq)],
    );
    const bySeq = new Map<number, LogMessage['deliveries']>();
    for (const d of deliveries) {
      let list = bySeq.get(d.message_seq);
      if (!list) bySeq.set(d.message_seq, (list = []));
      list.push({ agentId: d.agent_id, ackedAt: d.acked_at, readAt: d.read_at });
    }
    return rows.map((r) => toLogMessage(r, bySeq.get(r.seq) ?? []));
  }

  async scanAttempts(): Promise<LogAttempt[]> {
    const rows = await this.q<LogAttemptRow>(
      `SELECT a.attempt, t.created_at, a.agent_id, t.project, a.claimed_at, a.ended_at, a.outcome
       FROM task_attempts a JOIN tasks t ON t.id = a.task_id ORDER BY a.task_id, a.attempt`,
    );
    return rows.map(toLogAttempt);
  }

  async scanInstances() {
    const rows = await this.q<LogInstanceRow>(
      `SELECT id, agent_id, COALESCE(ended_at, created_at) AS at, tokens, cost_usd FROM instances
       ORDER BY created_at, id`,
    );
    return rows.map(toLogInstance);
  }

  async scanTurnEvents(afterSeq: number, limit: number, kinds: readonly string[]) {
    return this.q<{ seq: number; instanceId: string; agentId: string; kind: string; at: string }>(
      `SELECT e.seq, e.instance_id AS "instanceId", i.agent_id AS "agentId", e.kind, e.at
       FROM instance_events e JOIN instances i ON i.id = e.instance_id
       WHERE e.seq > $1 AND e.kind = ANY($2::text[]) ORDER BY e.seq LIMIT $3`,
      [afterSeq, [...kinds], limit],
    );
  }
}
