/** SQLite implementation of GatewayStore. Reads run at once; writes go through the group-commit batcher. */
import type { Database } from 'better-sqlite3';
import type {
  ApprovalDecision,
  ApprovalFilter,
  GatewayStore,
  StoredApproval,
  StoredGrant,
  StoredServer,
} from '../gateway.js';
import type { WriteBatcher } from './batcher.js';
import {
  approvalParams,
  type ApprovalRow,
  approvalOf,
  type GrantRow,
  grantOf,
  type ServerRow,
} from '../rows/gateway.js';

export class SqliteGatewayStore implements GatewayStore {
  constructor(
    readonly db: Database,
    readonly batcher: WriteBatcher,
  ) {}

  async listServers(): Promise<StoredServer[]> {
    const rows = this.db.prepare('SELECT * FROM gateway_servers ORDER BY name').all() as ServerRow[];
    return rows.map((r) => ({
      name: r.name,
      spec: JSON.parse(r.spec),
      createdAt: r.created_at,
      createdBy: r.created_by,
    }));
  }

  addServer(s: StoredServer): Promise<boolean> {
    return this.batcher.run(
      () =>
        this.db
          .prepare(
            'INSERT INTO gateway_servers (name, spec, created_at, created_by) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO NOTHING',
          )
          .run(s.name, JSON.stringify(s.spec), s.createdAt, s.createdBy).changes === 1,
    );
  }

  removeServer(name: string): Promise<boolean> {
    return this.batcher.run(
      () => this.db.prepare('DELETE FROM gateway_servers WHERE name = ?').run(name).changes === 1,
    );
  }

  addApproval(a: StoredApproval): Promise<void> {
    return this.batcher.run(() => {
      this.db
        .prepare(
          `INSERT INTO gateway_approvals (id, kind, agent_id, project, request_id, description,
             input_preview, tool, server, args, rule, correlation_id, requested_by,
             requested_at, expires_at, status, decided_by, decided_at, reason, node_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(...approvalParams(a));
    });
  }

  decideApproval(id: string, d: ApprovalDecision): Promise<boolean> {
    return this.batcher.run(
      () =>
        this.db
          .prepare(
            `UPDATE gateway_approvals SET status = ?, decided_by = ?, decided_at = ?, reason = ?
             WHERE id = ? AND status = 'pending'`,
          )
          .run(d.status, d.decidedBy, d.decidedAt, d.reason, id).changes === 1,
    );
  }

  async getApproval(id: string): Promise<StoredApproval | undefined> {
    const row = this.db.prepare('SELECT * FROM gateway_approvals WHERE id = ?').get(id) as
      ApprovalRow | undefined;
    return row ? approvalOf(row) : undefined;
  }

  async listApprovals(filter: ApprovalFilter): Promise<StoredApproval[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    for (const [column, value] of [
      ['status', filter.status],
      ['kind', filter.kind],
      ['project', filter.project],
    ] as const) {
      if (value === undefined) continue;
      where.push(`${column} = ?`);
      params.push(value);
    }
    const rows = this.db
      .prepare(
        `SELECT * FROM gateway_approvals ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
      )
      .all(...params, filter.limit) as ApprovalRow[];
    return rows.map(approvalOf);
  }

  putGrant(g: StoredGrant): Promise<void> {
    return this.batcher.run(() => {
      this.db
        .prepare(
          `INSERT INTO approval_grants (agent_id, granted_by, granted_at) VALUES (?, ?, ?)
           ON CONFLICT(agent_id) DO UPDATE SET granted_by = excluded.granted_by, granted_at = excluded.granted_at`,
        )
        .run(g.agentId, g.grantedBy, g.grantedAt);
    });
  }

  removeGrant(agentId: string): Promise<boolean> {
    return this.batcher.run(
      () => this.db.prepare('DELETE FROM approval_grants WHERE agent_id = ?').run(agentId).changes === 1,
    );
  }

  async getGrant(agentId: string): Promise<StoredGrant | undefined> {
    const row = this.db.prepare('SELECT * FROM approval_grants WHERE agent_id = ?').get(agentId) as
      GrantRow | undefined;
    return row ? grantOf(row) : undefined;
  }

  async listGrants(): Promise<StoredGrant[]> {
    return (this.db.prepare('SELECT * FROM approval_grants ORDER BY agent_id').all() as GrantRow[]).map(
      grantOf,
    );
  }
}
