/** The agents table and its capability index, on PostgreSQL (the same records as sqlite/agents.ts). */
import { HubError } from '../../core/errors.js';
import type { AgentFilter, AgentRecord, RecordedStatus, StatusChange } from '../types.js';
import type { PgDatabase, Queryable } from './database.js';
import {
  type AgentRow,
  changedStatuses,
  COLUMNS,
  type PublishedStatusRow,
  toRecord,
  WITHOUT_METADATA,
} from '../rows/agents.js';

/** Replaces an agent's rows in the capability index. */
async function setCapabilities(c: Queryable, id: string, capabilities: string[]): Promise<void> {
  await c.query('DELETE FROM agent_capabilities WHERE agent_id = $1', [id]);
  if (capabilities.length === 0) return;
  await c.query(
    `INSERT INTO agent_capabilities (agent_id, capability)
     SELECT $1, x FROM unnest($2::text[]) AS x ON CONFLICT DO NOTHING`,
    [id, [...new Set(capabilities)]],
  );
}

export class PgAgents {
  constructor(private readonly db: PgDatabase) {}

  /** `ON CONFLICT (id) DO NOTHING`: of two nodes registering one id at once, exactly one gets it. */
  async create(a: AgentRecord): Promise<void> {
    await this.db.tx(async (c) => {
      const inserted = await c.query(
        `INSERT INTO agents (id, name, session_id, project, role, description, capabilities, metadata,
           token_hash, declared_status, created_at, last_seen_at, retired_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        [
          a.id,
          a.name,
          a.sessionId,
          a.project,
          a.role,
          a.description,
          JSON.stringify(a.capabilities),
          JSON.stringify(a.metadata),
          a.tokenHash,
          a.declaredStatus,
          a.createdAt,
          a.lastSeenAt,
          a.retiredAt,
        ],
      );
      if (inserted.rowCount === 0) throw new HubError('conflict', `agent_id ${a.id} is already registered`);
      await setCapabilities(c, a.id, a.capabilities);
    });
  }

  async update(id: string, patch: Partial<AgentRecord>): Promise<AgentRecord | undefined> {
    const sets: string[] = [];
    const values: unknown[] = [];
    for (const [key, value] of Object.entries(patch)) {
      const column = COLUMNS[key];
      if (!column || value === undefined) continue;
      values.push(key === 'capabilities' || key === 'metadata' ? JSON.stringify(value) : value);
      sets.push(`${column} = $${values.length}`);
    }
    return this.db.tx(async (c) => {
      if (sets.length) {
        await c.query(`UPDATE agents SET ${sets.join(', ')} WHERE id = $${values.length + 1}`, [
          ...values,
          id,
        ]);
      }
      const row = (await c.query<AgentRow>('SELECT * FROM agents WHERE id = $1', [id])).rows[0];
      if (row && patch.capabilities) await setCapabilities(c, id, patch.capabilities);
      return row && toRecord(row);
    });
  }

  async get(id: string): Promise<AgentRecord | undefined> {
    const row = (await this.db.query<AgentRow>('SELECT * FROM agents WHERE id = $1', [id]))[0];
    return row && toRecord(row);
  }

  async findByTokenHash(hash: string): Promise<AgentRecord | undefined> {
    const row = (await this.db.query<AgentRow>('SELECT * FROM agents WHERE token_hash = $1', [hash]))[0];
    return row && toRecord(row);
  }

  async list(filter: AgentFilter): Promise<AgentRecord[]> {
    if (filter.ids && filter.ids.length === 0) return [];
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    if (!filter.includeRetired) where.push('a.retired_at IS NULL');
    if (filter.project) where.push(`a.project = ${param(filter.project)}`);
    if (filter.role) where.push(`a.role = ${param(filter.role)}`);
    if (filter.capability) {
      where.push(
        `a.id IN (SELECT agent_id FROM agent_capabilities WHERE capability = ${param(filter.capability)})`,
      );
    }
    if (filter.ids) where.push(`a.id = ANY(${param(filter.ids)}::text[])`);
    const columns = filter.withoutMetadata ? WITHOUT_METADATA : 'a.*';
    // COLLATE "C": ids in byte order, as SQLite sorts them, whatever the database's locale.
    let sql = `SELECT ${columns} FROM agents a ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY a.created_at, a.id COLLATE "C"`;
    if (filter.limit !== undefined) sql += ` LIMIT ${param(filter.limit)}`;
    return (await this.db.query<AgentRow>(sql, params)).map(toRecord);
  }

  /**
   * Moves last_seen_at forward only (`last_seen_at < new`), so two nodes touching one agent keep the
   * later time whichever commits last. One time per agent (the latest given); rows in id order.
   */
  async touchMany(seen: Array<{ id: string; lastSeenAt: string }>): Promise<void> {
    const latest = new Map<string, string>();
    for (const s of seen) {
      const had = latest.get(s.id);
      if (!had || Date.parse(s.lastSeenAt) > Date.parse(had)) latest.set(s.id, s.lastSeenAt);
    }
    if (latest.size === 0) return;
    const ids = [...latest.keys()].sort();
    await this.db.tx((c) =>
      c.query(
        `UPDATE agents a SET last_seen_at = s.at
         FROM unnest($1::text[], $2::timestamptz[]) AS s (id, at)
         WHERE a.id = s.id AND a.last_seen_at < s.at`,
        [ids, ids.map((id) => latest.get(id))],
      ),
    );
  }

  /**
   * One conditional UPDATE: a node retiring an agent that another node just retired finds
   * `retired_at` set once it gets the row lock, so each agent is retired (and reported) once.
   */
  async retireIdle(before: string, at: string): Promise<string[]> {
    const rows = await this.db.tx(
      async (c) =>
        (
          await c.query<{ id: string }>(
            `UPDATE agents SET retired_at = $2
             WHERE retired_at IS NULL AND last_seen_at < $1::timestamptz RETURNING id`,
            [before, at],
          )
        ).rows,
    );
    return rows.map((r) => r.id);
  }

  /**
   * Row locks decide which node publishes a status change: the rows of the agents whose status
   * would change are locked (FOR UPDATE, in one id order on every node), read and changed in one
   * transaction. A node noting the same change a moment later waits for the lock; PostgreSQL then
   * re-checks the WHERE on the row the first one stored, finds nothing to change, and returns nothing.
   * Rows whose status stays are neither locked nor written (a sweep sends every agent's status).
   */
  async recordStatuses(changes: StatusChange[]): Promise<RecordedStatus[]> {
    const byId = new Map(changes.map((ch) => [ch.id, ch]));
    if (byId.size === 0) return [];
    const ids = [...byId.keys()];
    return this.db.tx(async (c) => {
      const rows = (
        await c.query<PublishedStatusRow>(
          `SELECT a.id, a.published_status, a.published_status_since
           FROM agents a JOIN unnest($1::text[], $2::text[], $3::timestamptz[]) AS s (id, status, since)
             ON a.id = s.id
           WHERE a.published_status IS DISTINCT FROM s.status
             AND (a.published_status_since IS NULL OR a.published_status_since <= s.since)
           ORDER BY a.id COLLATE "C" FOR UPDATE OF a`,
          [ids, ids.map((id) => byId.get(id)!.status), ids.map((id) => byId.get(id)!.since)],
        )
      ).rows;
      const out = changedStatuses(rows, byId);
      if (out.length > 0)
        await c.query(
          `UPDATE agents a SET published_status = s.status, published_status_since = s.since
           FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS s (id, status, since)
           WHERE a.id = s.id`,
          [out.map((o) => o.id), out.map((o) => o.status), out.map((o) => byId.get(o.id)!.since)],
        );
      return out;
    });
  }
}
