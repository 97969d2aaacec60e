/** Persistence for gateway: downstream servers added at run time (config-file servers live in the config). */
export interface StoredServer {
  name: string;
  /** The validated server spec, as JSON. */
  spec: Record<string, unknown>;
  createdAt: string;
  createdBy: string | null;
}

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'timed_out' | 'cancelled';

/** A held downstream call and the decision on it (the audit trail: who, when, why). */
export interface StoredApproval {
  id: string;
  tool: string;
  server: string;
  args: Record<string, unknown>;
  /** Why it was held (the matching rule's reason or its globs). */
  rule: string | null;
  correlationId: string;
  requestedBy: string;
  requestedAt: string;
  expiresAt: string;
  status: ApprovalStatus;
  decidedBy: string | null;
  decidedAt: string | null;
  reason: string | null;
}

export interface GatewayStore {
  addApproval(a: StoredApproval): Promise<void>;
  /** Records the decision on a pending approval; false when it was not pending (decided already). */
  decideApproval(
    id: string,
    d: {
      status: Exclude<ApprovalStatus, 'pending'>;
      decidedBy: string;
      decidedAt: string;
      reason: string | null;
    },
  ): Promise<boolean>;
  getApproval(id: string): Promise<StoredApproval | undefined>;
  /** Newest first. */
  listApprovals(filter: { status?: ApprovalStatus; limit: number }): Promise<StoredApproval[]>;
  listServers(): Promise<StoredServer[]>;
  /** Inserts; false when a server of that name is stored already. */
  addServer(server: StoredServer): Promise<boolean>;
  /** True when it existed. */
  removeServer(name: string): Promise<boolean>;
}
