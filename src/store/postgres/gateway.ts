/**
 * PostgreSQL implementation of GatewayStore: downstream servers added at run time, the approvals
 * queue and the grants to decide it. Any node may decide an approval another node holds; the
 * database makes sure only one decision is ever recorded.
 */
import type {
  ApprovalDecision,
  ApprovalFilter,
  GatewayStore,
  StoredApproval,
  StoredGrant,
  StoredServer,
} from '../gateway.js';
import type { PgDatabase } from './database.js';
import {
  approvalParams,
  type ApprovalRow,
  approvalOf,
  type GrantRow,
  grantOf,
  type ServerRow,
} from '../rows/gateway.js';

export class PgGatewayStore implements GatewayStore {
  constructor(readonly db: PgDatabase) {}

  async listServers(): Promise<StoredServer[]> {
    const rows = await this.db.query<ServerRow>('SELECT * FROM gateway_servers ORDER BY name');
    return rows.map((r) => ({
      name: r.name,
      spec: JSON.parse(r.spec),
      createdAt: r.created_at,
      createdBy: r.created_by,
    }));
  }

  /** Two nodes adding the same name at once: the primary key lets one insert; the other sees false. */
  async addServer(s: StoredServer): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO gateway_servers (name, spec, created_at, created_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (name) DO NOTHING RETURNING name`,
      [s.name, JSON.stringify(s.spec), s.createdAt, s.createdBy],
    );
    return rows.length === 1;
  }

  async removeServer(name: string): Promise<boolean> {
    const rows = await this.db.query('DELETE FROM gateway_servers WHERE name = $1 RETURNING name', [name]);
    return rows.length === 1;
  }

  async addApproval(a: StoredApproval): Promise<void> {
    await this.db.query(
      `INSERT INTO gateway_approvals (id, kind, agent_id, project, request_id, description,
         input_preview, tool, server, args, rule, correlation_id, requested_by,
         requested_at, expires_at, status, decided_by, decided_at, reason, node_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
      approvalParams(a),
    );
  }

  /**
   * Exactly one decision wins, whichever nodes decide at once (an admin on one node, a granted
   * agent on another, the expiry timer on a third): a conditional UPDATE … WHERE status = 'pending'.
   * The first to update takes the row lock; under read committed the others wait for it, then
   * re-check the WHERE against the committed row, find it decided and update nothing.
   */
  async decideApproval(id: string, d: ApprovalDecision): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE gateway_approvals SET status = $1, decided_by = $2, decided_at = $3, reason = $4
       WHERE id = $5 AND status = 'pending' RETURNING id`,
      [d.status, d.decidedBy, d.decidedAt, d.reason, id],
    );
    return rows.length === 1;
  }

  async getApproval(id: string): Promise<StoredApproval | undefined> {
    const [row] = await this.db.query<ApprovalRow>('SELECT * FROM gateway_approvals WHERE id = $1', [id]);
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
      params.push(value);
      where.push(`${column} = $${params.length}`);
    }
    params.push(filter.limit);
    const rows = await this.db.query<ApprovalRow>(
      `SELECT * FROM gateway_approvals ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(approvalOf);
  }

  /** An upsert on the primary key: nodes granting at once leave one row (the last write's). */
  async putGrant(g: StoredGrant): Promise<void> {
    await this.db.query(
      `INSERT INTO approval_grants (agent_id, granted_by, granted_at) VALUES ($1, $2, $3)
       ON CONFLICT (agent_id) DO UPDATE SET granted_by = excluded.granted_by, granted_at = excluded.granted_at`,
      [g.agentId, g.grantedBy, g.grantedAt],
    );
  }

  async removeGrant(agentId: string): Promise<boolean> {
    const rows = await this.db.query('DELETE FROM approval_grants WHERE agent_id = $1 RETURNING agent_id', [
      agentId,
    ]);
    return rows.length === 1;
  }

  async getGrant(agentId: string): Promise<StoredGrant | undefined> {
    const [row] = await this.db.query<GrantRow>('SELECT * FROM approval_grants WHERE agent_id = $1', [
      agentId,
    ]);
    return row ? grantOf(row) : undefined;
  }

  async listGrants(): Promise<StoredGrant[]> {
    return (await this.db.query<GrantRow>('SELECT * FROM approval_grants ORDER BY agent_id')).map(grantOf);
  }
}
