/** Versioned schema migrations. Append new versions; never edit one that has shipped. */
import { migration as v3 } from './migrations/003-tasks.js';
import { migration as v4 } from './migrations/004-context.js';
import { migration as v5 } from './migrations/005-leases.js';
import { migration as v6 } from './migrations/006-coordination.js';
import { migration as v7 } from './migrations/007-instances.js';
import { migration as v8 } from './migrations/008-gateway.js';
import { migration as v9 } from './migrations/009-workflows.js';
import { migration as v10 } from './migrations/010-instance-launch.js';
import { migration as v11 } from './migrations/011-message-visibility.js';
import { migration as v12 } from './migrations/012-analytics.js';
import { migration as v13 } from './migrations/013-analytics-performance.js';
import { migration as v14 } from './migrations/014-thread-digests.js';
import { migration as v15 } from './migrations/015-analytics-history.js';
import { migration as v16 } from './migrations/016-analytics-totals.js';
import { migration as v17 } from './migrations/017-analytics-perf-spans.js';
import { migration as v18 } from './migrations/018-delivery.js';
import { migration as v19 } from './migrations/019-approval-kinds.js';
import { migration as v20 } from './migrations/020-instance-delivery.js';
import { migration as v21 } from './migrations/021-cluster-owners.js';
import { migration as v22 } from './migrations/022-approval-nodes.js';
import { migration as v23 } from './migrations/023-published-status.js';
import { migration as v24 } from './migrations/024-analytics-lean-threads.js';
import { migration as v25 } from './migrations/025-no-sender-index.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'agents, messages, deliveries, topics, full-text search',
    sql: `
      CREATE TABLE agents (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        session_id TEXT,
        project TEXT NOT NULL,
        role TEXT,
        description TEXT,
        capabilities TEXT NOT NULL,
        metadata TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        declared_status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        retired_at TEXT
      );
      CREATE INDEX agents_project ON agents(project) WHERE retired_at IS NULL;
      CREATE TABLE agent_capabilities (
        agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
        capability TEXT NOT NULL,
        PRIMARY KEY (capability, agent_id)
      ) WITHOUT ROWID;

      CREATE TABLE messages (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        from_agent TEXT NOT NULL,
        to_spec TEXT NOT NULL,
        type TEXT NOT NULL,
        subject TEXT,
        body TEXT NOT NULL,
        thread_id TEXT NOT NULL,
        reply_to TEXT,
        correlation_id TEXT,
        importance TEXT NOT NULL,
        ack_required INTEGER NOT NULL,
        project TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT,
        idempotency_key TEXT,
        recipients TEXT NOT NULL
      );
      CREATE UNIQUE INDEX messages_idempotency ON messages(from_agent, idempotency_key)
        WHERE idempotency_key IS NOT NULL;
      CREATE INDEX messages_thread ON messages(thread_id, seq);
      CREATE INDEX messages_from ON messages(from_agent, seq);
      CREATE INDEX messages_correlation ON messages(correlation_id) WHERE correlation_id IS NOT NULL;

      CREATE TABLE deliveries (
        cursor INTEGER PRIMARY KEY,
        agent_id TEXT NOT NULL,
        message_seq INTEGER NOT NULL REFERENCES messages(seq),
        read_at TEXT,
        acked_at TEXT
      );
      CREATE INDEX deliveries_inbox ON deliveries(agent_id, cursor);
      CREATE UNIQUE INDEX deliveries_message ON deliveries(message_seq, agent_id);

      CREATE TABLE topic_subscriptions (
        topic TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (topic, agent_id)
      ) WITHOUT ROWID;
      CREATE INDEX topic_subscriptions_agent ON topic_subscriptions(agent_id);

      CREATE VIRTUAL TABLE messages_fts USING fts5(subject, body, content='messages', content_rowid='seq');
      -- messages are indexed for search in batches after they commit (see fts.ts); this is the high-water mark
      CREATE TABLE fts_progress (id INTEGER PRIMARY KEY CHECK (id = 1), indexed_seq INTEGER NOT NULL);
      INSERT INTO fts_progress (id, indexed_seq) VALUES (1, 0);
    `,
  },
  {
    version: 2,
    name: 'index unread deliveries, so reading unread mail does not walk the read history',
    sql: `CREATE INDEX deliveries_unread ON deliveries(agent_id, cursor) WHERE read_at IS NULL;`,
  },
  // Later versions live one file each under migrations/.
  ...[
    v3,
    v4,
    v5,
    v6,
    v7,
    v8,
    v9,
    v10,
    v11,
    v12,
    v13,
    v14,
    v15,
    v16,
    v17,
    v18,
    v19,
    v20,
    v21,
    v22,
    v23,
    v24,
    v25,
  ].filter((m): m is Migration => m !== null),
];
