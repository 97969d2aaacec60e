/** Opening the PostgreSQL store: nodes starting at once, the schema once, URLs never leaking passwords. */
import { afterEach, describe, expect, it } from 'vitest';
import type { HubError } from '../../src/core/errors.js';
import { isoFromPg } from '../../src/store/postgres/database.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { pgMigrations } from '../../src/store/postgres/migrations.js';
import { describeDb, openStore } from '../../src/store/open.js';
import { createTestDatabase, hasPostgres, type TestDatabase } from '../helpers/postgres.js';

describe('database URLs', () => {
  it('are shown without their password', () => {
    expect(describeDb('postgres://sb:s3cret-pass@db.internal:5433/switchboard?sslmode=require')).toBe(
      'postgres://sb:***@db.internal:5433/switchboard',
    );
    expect(describeDb('/var/lib/switchboard.db')).toBe('/var/lib/switchboard.db');
  });

  it('read PostgreSQL times back as the ISO strings the hub writes', () => {
    expect(isoFromPg('2026-12-06 18:05:27.12+00')).toBe('2026-12-06T18:05:27.120Z');
    expect(isoFromPg('2026-12-06 18:05:27+00')).toBe('2026-12-06T18:05:27.000Z');
    expect(isoFromPg('2026-12-06 18:05:27.123456+00')).toBe('2026-12-06T18:05:27.123Z');
    expect(isoFromPg('2026-12-06 20:05:27.5+02')).toBe('2026-12-06T18:05:27.500Z');
  });
});

describe.runIf(hasPostgres())('opening a PostgreSQL store', () => {
  const dbs: TestDatabase[] = [];
  afterEach(async () => {
    for (const db of dbs.splice(0)) await db.drop();
  });

  it('applies the schema once when three nodes start at the same moment', async () => {
    const db = await createTestDatabase();
    dbs.push(db);
    const stores = await Promise.all([1, 2, 3].map(() => PostgresStore.open(db.url)));
    try {
      const rows = await stores[0].db.query<{ version: number }>(
        'SELECT version FROM schema_migrations ORDER BY version',
      );
      expect(rows.map((r) => r.version)).toEqual(pgMigrations.map((m) => m.version));
      expect(stores.every((s) => s.kind === 'postgres')).toBe(true);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('refuses an unreachable server with a message that names it without the password', async () => {
    const err = await openStore('postgres://sb:hunter2-secret@127.0.0.1:1/nowhere').catch((e) => e);
    expect(err.code).toBe('unavailable');
    expect(err.message).toContain('postgres://sb:***@127.0.0.1:1/nowhere');
    expect(err.message).not.toContain('hunter2');
  });
});

describe.runIf(hasPostgres())('cluster-wide jobs on PostgreSQL', () => {
  it('run on one node at a time: the others skip while it runs, and run again once it is done', async () => {
    const db = await createTestDatabase();
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => PostgresStore.open(db.url)));
    try {
      let release!: () => void;
      let started!: () => void;
      const running = new Promise<void>((r) => (started = r));
      const first = a.runAlone('presence sweep', async () => {
        started();
        await new Promise<void>((r) => (release = r));
        return 'a';
      });
      await running;
      const others = await Promise.all([b, c].map((s) => s.runAlone('presence sweep', async () => 'other')));
      // A different job is not held up by this one.
      const unrelated = await b.runAlone('vote deadline sweep', async () => 'b');
      release();
      expect({ first: await first, others, unrelated }).toEqual({
        first: 'a',
        others: [undefined, undefined],
        unrelated: 'b',
      });
      expect(await c.runAlone('presence sweep', async () => 'c')).toBe('c');
      // A job that throws frees the lock too.
      await expect(
        a.runAlone('presence sweep', async () => Promise.reject(new Error('boom'))),
      ).rejects.toThrow('boom');
      expect(await b.runAlone('presence sweep', async () => 'b again')).toBe('b again');
    } finally {
      await Promise.all([a, b, c].map((s) => s.close()));
      await db.drop();
    }
  });
});

describe.runIf(hasPostgres())('input PostgreSQL cannot hold', () => {
  it('a NUL character in stored text is invalid_input, and nothing is written', async () => {
    const db = await createTestDatabase();
    const store = await PostgresStore.open(db.url);
    try {
      const err = (await store.db
        .tx(async (c) => {
          await c.query('CREATE TABLE probe (t text)');
          await c.query('INSERT INTO probe VALUES ($1)', ['fine']);
          await c.query('INSERT INTO probe VALUES ($1)', ['bad\u0000text']);
        })
        .catch((e: HubError) => e)) as HubError;
      expect({ code: err.code, message: err.message }).toEqual({
        code: 'invalid_input',
        message: 'Text with a NUL character (\\u0000) cannot be stored: remove it and send again',
      });
      const tables = await store.db.query("SELECT 1 FROM pg_tables WHERE tablename = 'probe'");
      expect(tables).toEqual([]);
    } finally {
      await store.close();
      await db.drop();
    }
  });
});
