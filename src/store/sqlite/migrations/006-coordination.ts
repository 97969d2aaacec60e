/** Schema version 6: coordination (votes and their ballots). Once shipped, never edit it — add a new version. */
import type { Migration } from '../migrations.js';

export const migration: Migration | null = {
  version: 6,
  name: 'coordination: votes and ballots',
  sql: `
    CREATE TABLE votes (
      id TEXT PRIMARY KEY,
      proposal TEXT NOT NULL,
      options TEXT NOT NULL,
      rule TEXT NOT NULL,
      quorum INTEGER,
      created_by TEXT NOT NULL,
      project TEXT NOT NULL,
      created_at TEXT NOT NULL,
      deadline TEXT NOT NULL,
      status TEXT NOT NULL,
      result TEXT,
      reason TEXT,
      closed_at TEXT
    );
    CREATE INDEX votes_open_deadline ON votes(deadline) WHERE status = 'open';
    CREATE INDEX votes_created_by ON votes(created_by, id);
    CREATE TABLE vote_ballots (
      vote_id TEXT NOT NULL,
      agent_id TEXT NOT NULL,
      position INTEGER NOT NULL,
      option TEXT,
      comment TEXT,
      cast_at TEXT,
      PRIMARY KEY (vote_id, agent_id)
    ) WITHOUT ROWID;
    CREATE INDEX vote_ballots_agent ON vote_ballots(agent_id, vote_id);
  `,
};
