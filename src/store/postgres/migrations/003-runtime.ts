/**
 * PostgreSQL schema version 3 (runtime): instances and their output events, the gateway (servers
 * added at run time, the approvals queue, grants), workflow runs and steps, thread summaries. The
 * same tables as SQLite's versions 7–10, 14, 19–21, in PostgreSQL's types: times `timestamptz`, JSON
 * as `text` (written exactly as SQLite writes it), ids that lists are ordered by in the "C" collation
 * (byte order, as SQLite compares them, whatever the database's locale).
 *
 * Cluster ownership (used by later versions of the hub): `instances.node_id` names the node that
 * spawned an instance; `workflow_runs.node_id` and `lease_expires_at` name the node running a
 * workflow and until when its lease holds. Once shipped, never edit it — add a new version.
 */
import type { PgMigration } from '../migrations.js';

export const migration: PgMigration | null = {
  version: 3,
  name: 'runtime: instances and their events, gateway servers, approvals and grants, workflows, thread summaries',
  sql: `
    CREATE TABLE instances (
      id text COLLATE "C" PRIMARY KEY,
      agent_id text NOT NULL,
      owner text,
      parent_id text,
      root_id text NOT NULL,
      name text NOT NULL,
      adapter text NOT NULL,
      role text NOT NULL,
      model text,
      workspace text NOT NULL,
      worktree text NOT NULL DEFAULT 'null',
      status text NOT NULL,
      reason text,
      pid integer,
      pgid integer,
      session_id text,
      limits text NOT NULL,
      usage text NOT NULL,
      tokens bigint NOT NULL,
      cost_usd double precision NOT NULL,
      turns integer NOT NULL,
      exit_code integer,
      exit_signal text,
      created_at timestamptz NOT NULL,
      last_event_at timestamptz,
      ended_at timestamptz,
      launch text NOT NULL DEFAULT '{}',
      restarts integer NOT NULL DEFAULT 0,
      delivery text NOT NULL DEFAULT '{"mode":"manual"}',
      node_id text
    );
    CREATE INDEX instances_live ON instances (status);
    CREATE INDEX instances_parent ON instances (parent_id);
    CREATE INDEX instances_root ON instances (root_id);
    CREATE INDEX instances_node ON instances (node_id) WHERE node_id IS NOT NULL;

    CREATE TABLE instance_events (
      seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      instance_id text NOT NULL,
      kind text NOT NULL,
      at timestamptz NOT NULL,
      data text NOT NULL
    );
    CREATE INDEX instance_events_by ON instance_events (instance_id, seq);

    CREATE TABLE gateway_servers (
      name text COLLATE "C" PRIMARY KEY,
      spec text NOT NULL,
      created_at timestamptz NOT NULL,
      created_by text
    );

    CREATE TABLE gateway_approvals (
      id text COLLATE "C" PRIMARY KEY,
      kind text NOT NULL DEFAULT 'gateway_call',
      agent_id text,
      project text,
      request_id text,
      description text,
      input_preview text,
      tool text NOT NULL,
      server text NOT NULL,
      args text NOT NULL,
      rule text,
      correlation_id text NOT NULL,
      requested_by text NOT NULL,
      requested_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      status text NOT NULL,
      decided_by text,
      decided_at timestamptz,
      reason text
    );
    CREATE INDEX gateway_approvals_status ON gateway_approvals (status, id);
    CREATE INDEX gateway_approvals_project ON gateway_approvals (project, id);

    CREATE TABLE approval_grants (
      agent_id text COLLATE "C" PRIMARY KEY,
      granted_by text NOT NULL,
      granted_at timestamptz NOT NULL
    );

    CREATE TABLE workflow_runs (
      id text COLLATE "C" PRIMARY KEY,
      name text,
      definition text NOT NULL,
      inputs text NOT NULL,
      status text NOT NULL,
      started_by text NOT NULL,
      agent_id text,
      correlation_id text NOT NULL,
      output text,
      error text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      finished_at timestamptz,
      node_id text,
      lease_expires_at timestamptz
    );
    CREATE INDEX workflow_runs_status ON workflow_runs (status, id);
    CREATE INDEX workflow_runs_agent ON workflow_runs (agent_id, id);

    CREATE TABLE workflow_steps (
      run_id text NOT NULL,
      step_id text NOT NULL,
      position integer NOT NULL,
      parent text,
      call text,
      status text NOT NULL,
      attempts integer NOT NULL,
      output text,
      error text,
      started_at timestamptz,
      finished_at timestamptz,
      PRIMARY KEY (run_id, step_id)
    );

    CREATE TABLE thread_summaries (
      thread_id text NOT NULL,
      scope text NOT NULL,
      summary text NOT NULL,
      instance_id text NOT NULL,
      written_by text NOT NULL,
      requested_by text,
      messages_covered integer NOT NULL,
      last_message_id text NOT NULL,
      created_at timestamptz NOT NULL,
      PRIMARY KEY (thread_id, scope)
    );
  `,
};
