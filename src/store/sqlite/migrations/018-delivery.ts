/**
 * Schema version 18: delivery into the agent.
 *
 * - `messages.sent_by_admin`: 1 when the hub's admin sent the message on an agent's behalf (the
 *   dashboard's overseer); a channel pushes such messages past sender gating.
 * - `delivery_settings`: per agent, how its new messages are pushed into its session (the stdio
 *   bridge as a Claude Code channel) or wake its supervised instance: the settings as the agent last
 *   set them (JSON, validated on the way in and read with defaults for what is unset).
 */
import type { Migration } from '../migrations.js';

export const migration: Migration | null = {
  version: 18,
  name: 'delivery: messages sent by the admin; per-agent delivery settings',
  sql: `
    ALTER TABLE messages ADD COLUMN sent_by_admin INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE delivery_settings (
      agent_id TEXT PRIMARY KEY,
      settings TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      updated_by TEXT
    ) WITHOUT ROWID;
  `,
};
