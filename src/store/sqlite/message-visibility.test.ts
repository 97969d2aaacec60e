/**
 * Migration 11 on a hub that already holds messages: who took part in each thread is filled in, and
 * the search index is rebuilt with participants, so an upgraded hub answers exactly as a new one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newMessage } from '../../../test/helpers/new-message.js';
import { migrations } from './migrations.js';
import { migrate } from './open.js';
import { SqliteStore } from './index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sb-migrate-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A database at schema version 10 with two threads, indexed for search the old way. */
function oldHub(path: string): void {
  const db = new Database(path);
  migrate(
    db,
    migrations.filter((m) => m.version <= 10),
  );
  const insert = db.prepare(`INSERT INTO messages (id, from_agent, to_spec, type, subject, body, thread_id,
    importance, ack_required, project, created_at, recipients)
    VALUES (?, ?, '""', 'message', ?, ?, ?, 'normal', 0, 'default', '2026-01-01T00:00:00.000Z', ?)`);
  const deliver = db.prepare('INSERT INTO deliveries (agent_id, message_seq) VALUES (?, ?)');
  const add = (id: string, from: string, to: string[], body: string, thread: string) => {
    const seq = Number(
      insert.run(id, from, null, JSON.stringify(body), thread, JSON.stringify(to)).lastInsertRowid,
    );
    for (const r of to) deliver.run(r, seq);
  };
  add('msg_1', 'a', ['b'], 'release notes draft', 'msg_1');
  add('msg_2', 'b', ['a', 'c'], 'release date agreed', 'msg_1');
  add('msg_3', 'd', ['e'], 'release party', 'msg_3');
  // The old index had caught up with all of it.
  db.exec(`INSERT INTO messages_fts (rowid, subject, body) SELECT seq, COALESCE(subject, ''), body FROM messages;
    UPDATE fts_progress SET indexed_seq = 3 WHERE id = 1;`);
  db.close();
}

describe('upgrading a hub with messages to schema 11', () => {
  it('knows every thread’s participants and searches each caller’s own messages, old and new', async () => {
    const path = join(dir, 'hub.db');
    oldHub(path);
    const store = new SqliteStore(path);
    try {
      for (const [thread, agent, inIt] of [
        ['msg_1', 'a', true],
        ['msg_1', 'b', true],
        ['msg_1', 'c', true],
        ['msg_1', 'd', false],
        ['msg_3', 'e', true],
        ['msg_3', 'a', false],
      ] as const) {
        expect({ thread, agent, inIt: await store.isThreadParticipant(thread, agent) }).toEqual({
          thread,
          agent,
          inIt,
        });
      }
      const ids = async (viewer: string | null) =>
        (await store.searchMessages(['release'], viewer, 10)).map((m) => m.id);
      expect(await ids(null)).toEqual(['msg_3', 'msg_2', 'msg_1']);
      expect(await ids('a')).toEqual(['msg_2', 'msg_1']);
      expect(await ids('c')).toEqual(['msg_2']);
      expect(await ids('e')).toEqual(['msg_3']);

      await store.insertMessage(
        newMessage('msg_4', {
          from: 'c',
          to: 'a',
          subject: 'release',
          body: 'after the upgrade',
          threadId: 'msg_1',
          recipients: ['a'],
        }),
      );
      expect(await ids('c')).toEqual(['msg_4', 'msg_2']);
      expect(await ids('e')).toEqual(['msg_3']);
    } finally {
      await store.close();
    }
  });
});
