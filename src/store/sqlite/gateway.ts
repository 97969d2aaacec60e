/** SQLite implementation of GatewayStore. Reads run at once; writes go through the group-commit batcher. */
import type { Database } from 'better-sqlite3';
import type { ApprovalStatus, GatewayStore, StoredApproval, StoredServer } from '../gateway.js';
import type { WriteBatcher } from './batcher.js';

interface ServerRow {
  name: string;
  spec: string;
  created_at: string;
  created_by: string | null;
}

interface ApprovalRow {
  id: string;
  tool: string;
  server: string;
  args: string;
  rule: string | null;
  correlation_id: string;
  requested_by: string;
  requested_at: string;
  expires_at: string;
  status: ApprovalStatus;
  decided_by: string | null;
  decided_at: string | null;
  reason: string | null;
}

const approvalOf = (r: ApprovalRow): StoredApproval => ({
  id: r.id,
  tool: r.tool,
  server: r.server,
  args: JSON.parse(r.args),
  rule: r.rule,
  correlationId: r.correlation_id,
  requestedBy: r.requested_by,
  requestedAt: r.requested_at,
  expiresAt: r.expires_at,
  status: r.status,
  decidedBy: r.decided_by,
  decidedAt: r.decided_at,
  reason: r.reason,
});

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
          `INSERT INTO gateway_approvals (id, tool, server, args, rule, correlation_id, requested_by,
             requested_at, expires_at, status, decided_by, decided_at, reason)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          a.id,
          a.tool,
          a.server,
          JSON.stringify(a.args),
          a.rule,
          a.correlationId,
          a.requestedBy,
          a.requestedAt,
          a.expiresAt,
          a.status,
          a.decidedBy,
          a.decidedAt,
          a.reason,
        );
    });
  }

  decideApproval(
    id: string,
    d: {
      status: Exclude<ApprovalStatus, 'pending'>;
      decidedBy: string;
      decidedAt: string;
      reason: string | null;
    },
  ): Promise<boolean> {
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

  async listApprovals(filter: { status?: ApprovalStatus; limit: number }): Promise<StoredApproval[]> {
    const rows = (
      filter.status
        ? this.db
            .prepare('SELECT * FROM gateway_approvals WHERE status = ? ORDER BY id DESC LIMIT ?')
            .all(filter.status, filter.limit)
        : this.db.prepare('SELECT * FROM gateway_approvals ORDER BY id DESC LIMIT ?').all(filter.limit)
    ) as ApprovalRow[];
    return rows.map(approvalOf);
  }
}
