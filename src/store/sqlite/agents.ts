/** The agents table and its capability index. */
import { StatementCache } from './statements.js';
import type { Database } from 'better-sqlite3';
import { HubError } from '../../core/errors.js';
import type { AgentFilter, AgentRecord, RecordedStatus, StatusChange } from '../types.js';
import {
  type AgentRow,
  changedStatuses,
  COLUMNS,
  type PublishedStatusRow,
  toRecord,
  WITHOUT_METADATA,
} from '../rows/agents.js';

export class AgentTable {
  private readonly dynamic: StatementCache;
  private readonly insert;
  private readonly byId;
  private readonly byToken;
  private readonly touch;
  private readonly addCapability;
  private readonly clearCapabilities;

  constructor(private readonly db: Database) {
    this.dynamic = new StatementCache(db);
    this.insert = db.prepare(`INSERT INTO agents
      (id, name, session_id, project, role, description, capabilities, metadata, token_hash,
       declared_status, created_at, last_seen_at, retired_at)
      VALUES (@id, @name, @session_id, @project, @role, @description, @capabilities, @metadata, @token_hash,
       @declared_status, @created_at, @last_seen_at, @retired_at)`);
    this.byId = db.prepare('SELECT * FROM agents WHERE id = ?');
    this.byToken = db.prepare('SELECT * FROM agents WHERE token_hash = ?');
    this.touch = db.prepare('UPDATE agents SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?');
    this.addCapability = db.prepare(
      'INSERT OR IGNORE INTO agent_capabilities (agent_id, capability) VALUES (?, ?)',
    );
    this.clearCapabilities = db.prepare('DELETE FROM agent_capabilities WHERE agent_id = ?');
  }

  create(a: AgentRecord): void {
    if (this.byId.get(a.id)) throw new HubError('conflict', `agent_id ${a.id} is already registered`);
    this.insert.run({
      id: a.id,
      name: a.name,
      session_id: a.sessionId,
      project: a.project,
      role: a.role,
      description: a.description,
      capabilities: JSON.stringify(a.capabilities),
      metadata: JSON.stringify(a.metadata),
      token_hash: a.tokenHash,
      declared_status: a.declaredStatus,
      created_at: a.createdAt,
      last_seen_at: a.lastSeenAt,
      retired_at: a.retiredAt,
    });
    for (const c of a.capabilities) this.addCapability.run(a.id, c);
  }

  update(id: string, patch: Partial<AgentRecord>): AgentRecord | undefined {
    const sets: string[] = [];
    const values: unknown[] = [];
    for (const [key, value] of Object.entries(patch)) {
      const column = COLUMNS[key];
      if (!column || value === undefined) continue;
      sets.push(`${column} = ?`);
      values.push(key === 'capabilities' || key === 'metadata' ? JSON.stringify(value) : value);
    }
    if (sets.length) this.dynamic.get(`UPDATE agents SET ${sets.join(', ')} WHERE id = ?`).run(...values, id);
    if (patch.capabilities) {
      this.clearCapabilities.run(id);
      for (const c of patch.capabilities) this.addCapability.run(id, c);
    }
    return this.get(id);
  }

  get(id: string): AgentRecord | undefined {
    const row = this.byId.get(id) as AgentRow | undefined;
    return row && toRecord(row);
  }

  findByTokenHash(hash: string): AgentRecord | undefined {
    const row = this.byToken.get(hash) as AgentRow | undefined;
    return row && toRecord(row);
  }

  list(filter: AgentFilter): AgentRecord[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (!filter.includeRetired) where.push('a.retired_at IS NULL');
    if (filter.project) {
      where.push('a.project = ?');
      params.push(filter.project);
    }
    if (filter.role) {
      where.push('a.role = ?');
      params.push(filter.role);
    }
    if (filter.capability) {
      where.push('a.id IN (SELECT agent_id FROM agent_capabilities WHERE capability = ?)');
      params.push(filter.capability);
    }
    if (filter.ids) {
      if (filter.ids.length === 0) return [];
      where.push(`a.id IN (${filter.ids.map(() => '?').join(',')})`);
      params.push(...filter.ids);
    }
    const columns = filter.withoutMetadata ? WITHOUT_METADATA : 'a.*';
    let sql = `SELECT ${columns} FROM agents a ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY a.created_at, a.id`;
    if (filter.limit !== undefined) {
      sql += ' LIMIT (? + 0)';
      params.push(filter.limit);
    }
    return (this.dynamic.get(sql).all(...params) as AgentRow[]).map(toRecord);
  }

  touchMany(seen: Array<{ id: string; lastSeenAt: string }>): void {
    for (const s of seen) this.touch.run(s.lastSeenAt, s.id, s.lastSeenAt);
  }

  retireIdle(before: string, at: string): string[] {
    const rows = this.db
      .prepare('SELECT id FROM agents WHERE retired_at IS NULL AND last_seen_at < ?')
      .all(before) as Array<{ id: string }>;
    const retire = this.db.prepare('UPDATE agents SET retired_at = ? WHERE id = ?');
    for (const r of rows) retire.run(at, r.id);
    return rows.map((r) => r.id);
  }

  /**
   * Runs in the store's one write transaction (the batcher), so of several processes on one file
   * noting the same change, the first records (and returns) it and the others find it recorded.
   */
  recordStatuses(changes: StatusChange[]): RecordedStatus[] {
    const byId = new Map(changes.map((ch) => [ch.id, ch]));
    const rows = this.dynamic
      .get(
        `SELECT id, published_status, published_status_since FROM agents
         WHERE id IN (SELECT value FROM json_each(?))`,
      )
      .all(JSON.stringify([...byId.keys()])) as PublishedStatusRow[];
    const out = changedStatuses(rows, byId);
    const write = this.dynamic.get(
      'UPDATE agents SET published_status = ?, published_status_since = ? WHERE id = ?',
    );
    for (const o of out) write.run(o.status, byId.get(o.id)!.since, o.id);
    return out;
  }
}
