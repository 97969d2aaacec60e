/**
 * Persistence for gateway: downstream servers added at run time (config-file servers live in the config),
 * the approvals queue (held calls and relayed permission prompts) and who may decide it.
 */
export interface StoredServer {
  name: string;
  /** The validated server spec, as JSON. */
  spec: Record<string, unknown>;
  createdAt: string;
  createdBy: string | null;
}

/**
 * `failed`: the hub node holding the call stopped (died, left or restarted) before a decision, so
 * nothing waits for one any more.
 */
export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'timed_out' | 'cancelled' | 'failed';

/** `gateway_call`: a held downstream call; `permission`: a Claude Code session's permission prompt. */
export type ApprovalKind = 'gateway_call' | 'permission';

/** What a permission prompt showed (null on gateway calls). */
export interface PermissionPrompt {
  /** Claude Code's id of the prompt (five lower-case letters). */
  requestId: string;
  description: string;
  /** The tool input as Claude Code previewed it (truncated JSON). */
  inputPreview: string;
}

/**
 * One entry of the approvals queue and the decision on it (the audit trail: who, when, why): a held
 * downstream call, or a permission prompt (then `tool` is the prompt's tool name).
 */
export interface StoredApproval {
  id: string;
  kind: ApprovalKind;
  /** The requesting agent (null: the admin called). */
  agentId: string | null;
  /** The requesting agent's project: who may decide besides the admin (null: the admin's own call). */
  project: string | null;
  permission: PermissionPrompt | null;
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
  /**
   * The hub node holding the call (gateway calls; the call waits in that node's memory). Null for
   * permission prompts (any node serves their requester) and approvals stored before nodes were named.
   */
  nodeId: string | null;
}

export interface ApprovalFilter {
  status?: ApprovalStatus;
  kind?: ApprovalKind;
  project?: string;
  limit: number;
}

/** An agent the admin allowed to decide the approvals of its own project. */
export interface StoredGrant {
  agentId: string;
  grantedBy: string;
  grantedAt: string;
}

/** The decision recorded on a pending approval. */
export interface ApprovalDecision {
  status: Exclude<ApprovalStatus, 'pending'>;
  decidedBy: string;
  decidedAt: string;
  reason: string | null;
}

export interface GatewayStore {
  addApproval(a: StoredApproval): Promise<void>;
  /** Records the decision on a pending approval; false when it was not pending (decided already). */
  decideApproval(id: string, d: ApprovalDecision): Promise<boolean>;
  getApproval(id: string): Promise<StoredApproval | undefined>;
  /** Newest first; `project` limits to one project's approvals. */
  listApprovals(filter: ApprovalFilter): Promise<StoredApproval[]>;
  /** Records (or renews) the admin's grant for an agent to decide its project's approvals. */
  putGrant(g: StoredGrant): Promise<void>;
  /** True when it existed. */
  removeGrant(agentId: string): Promise<boolean>;
  getGrant(agentId: string): Promise<StoredGrant | undefined>;
  listGrants(): Promise<StoredGrant[]>;
  listServers(): Promise<StoredServer[]>;
  /** Inserts; false when a server of that name is stored already. */
  addServer(server: StoredServer): Promise<boolean>;
  /** True when it existed. */
  removeServer(name: string): Promise<boolean>;
}
