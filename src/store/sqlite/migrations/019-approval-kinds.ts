/**
 * Schema version 19: one approvals queue for two kinds. `gateway_approvals` gains `kind`
 * (`gateway_call`: a held downstream call; `permission`: a Claude Code session's permission prompt
 * relayed by `switchboard mcp --permission-relay`), the requesting agent and its project (null for the
 * admin's calls), and the prompt's fields. `approval_grants`: agents the admin allowed to decide the
 * approvals of their own project. Once shipped, never edit it — add a new version.
 */
import type { Migration } from '../migrations.js';

export const migration: Migration | null = {
  version: 19,
  name: 'approvals: kinds (gateway calls, permission prompts), project, grants',
  sql: `
    ALTER TABLE gateway_approvals ADD COLUMN kind TEXT NOT NULL DEFAULT 'gateway_call';
    ALTER TABLE gateway_approvals ADD COLUMN agent_id TEXT;
    ALTER TABLE gateway_approvals ADD COLUMN project TEXT;
    ALTER TABLE gateway_approvals ADD COLUMN request_id TEXT;
    ALTER TABLE gateway_approvals ADD COLUMN description TEXT;
    ALTER TABLE gateway_approvals ADD COLUMN input_preview TEXT;
    UPDATE gateway_approvals
      SET agent_id = substr(requested_by, 7),
          project = (SELECT a.project FROM agents a WHERE a.id = substr(gateway_approvals.requested_by, 7))
      WHERE requested_by LIKE 'agent:%';
    CREATE INDEX gateway_approvals_project ON gateway_approvals (project, id);
    CREATE TABLE approval_grants (
      agent_id TEXT PRIMARY KEY,
      granted_by TEXT NOT NULL,
      granted_at TEXT NOT NULL
    ) WITHOUT ROWID;
  `,
};
