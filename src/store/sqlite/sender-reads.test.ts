/**
 * Schema version 25 dropped the index of messages by sender alone (`messages_from`): every send wrote
 * it and no read needed it. This keeps it so: each prepared read of the message store and the thread
 * digests that filters on `from_agent` is planned as an index search, never a scan of `messages`, on a
 * database with rows in it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Statement } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agentRecord } from '../../../test/helpers/agent-record.js';
import { newMessage } from '../../../test/helpers/new-message.js';
import { SqliteStore } from './index.js';

let dir: string;
let store: SqliteStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sb-sender-reads-'));
  store = new SqliteStore(join(dir, 'hub.db'), { checkpointer: false });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The prepared statements an object holds in its fields. */
function statementsOf(holder: object): Statement[] {
  return Object.values(holder).filter(
    (v): v is Statement => typeof v === 'object' && v !== null && typeof (v as Statement).source === 'string',
  );
}

/** EXPLAIN QUERY PLAN of a statement's text, every parameter bound to NULL. */
function plan(source: string): string[] {
  const named = [...new Set([...source.matchAll(/@(\w+)/g)].map((m) => m[1]!))];
  const explain = store.db.prepare(`EXPLAIN QUERY PLAN ${source}`);
  const rows = (
    named.length > 0
      ? explain.all(Object.fromEntries(named.map((n) => [n, null])))
      : explain.all(...Array.from({ length: (source.match(/\?/g) ?? []).length }, () => null))
  ) as Array<{ detail: string }>;
  return rows.map((r) => r.detail);
}

describe('reads of messages by sender', () => {
  it('are index searches without an index by sender alone', async () => {
    const at = new Date().toISOString();
    for (const id of ['a', 'b']) await store.createAgent(agentRecord(id, at, { project: 'default' }));
    for (let i = 0; i < 50; i++) await store.insertMessage(newMessage(`msg_${i}`));
    const indexes = store.db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages'")
      .pluck()
      .all();
    expect(indexes).not.toContain('messages_from');

    const internals = store as unknown as { messages: object; digests: object };
    const bySender = [...statementsOf(internals.messages), ...statementsOf(internals.digests)]
      .map((s) => s.source)
      .filter((sql) => /^\s*SELECT/i.test(sql) && /from_agent\s*=/.test(sql));
    // The idempotency look-up, a message's and a thread's visibility, thread reads and counts.
    expect(bySender.length).toBeGreaterThanOrEqual(5);
    for (const sql of bySender) {
      const scans = plan(sql).filter((d) => /^SCAN (messages|m|r)\b/.test(d));
      expect({ sql, scans }).toEqual({ sql, scans: [] });
    }
  });
});
