/** The CLI with a PostgreSQL URL: passwords never printed, SQLite-only commands say what to use instead. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { createTestDatabase, hasPostgres } from './helpers/postgres.js';

const home = mkdtempSync(join(tmpdir(), 'switchboard-cluster-cli-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));
const URL_WITH_PASSWORD = 'postgres://sb:Tr0ub4dor-secret@db.internal:5432/switchboard';

describe('switchboard with --db postgres://', () => {
  it('config prints the URL without its password, and the loader refuses the placeholder if pasted back', async () => {
    const run = await runCli(['config', '--home', home, '--db', URL_WITH_PASSWORD], { HOME: home });
    expect(run.code).toBe(0);
    expect(run.stdout + run.stderr).not.toContain('Tr0ub4dor');
    const printed = JSON.parse(run.stdout);
    expect(printed.db).toMatch(/^postgres:\/\/sb:.+@db\.internal:5432\/switchboard$/);
    expect(run.stderr).toContain('database: postgres://sb:***@db.internal:5432/switchboard');
    expect(run.stderr).toContain('PGPASSWORD');

    const again = await runCli(['config', '--home', home, '--db', printed.db], { HOME: home });
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('hid the password of this URL');
  });

  it('backup refuses a PostgreSQL database and points at pg_dump', async () => {
    const run = await runCli(['backup', join(home, 'copy.db'), '--home', home, '--db', URL_WITH_PASSWORD], {
      HOME: home,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('pg_dump');
    expect(run.stderr).not.toContain('Tr0ub4dor');
  });

  it('serve on an unreachable server exits with the reason and no password', async () => {
    const run = await runCli(
      ['serve', '--home', home, '--port', '0', '--db', 'postgres://sb:Tr0ub4dor-secret@127.0.0.1:1/nowhere'],
      { HOME: home },
    );
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('Cannot open the PostgreSQL database postgres://sb:***@127.0.0.1:1/nowhere');
    expect(run.stdout + run.stderr).not.toContain('Tr0ub4dor');
  });

  it.runIf(hasPostgres())('serve on a reachable database logs which one, without the password', async () => {
    const db = await createTestDatabase();
    try {
      // The throwaway server trusts any password; the URL carries one anyway, as a real one would.
      const url = db.url.replace('switchboard@', 'switchboard:Tr0ub4dor-secret@');
      const { spawn } = await import('node:child_process');
      const { BIN } = await import('./helpers/cli.js');
      const child = spawn(process.execPath, [BIN, 'serve', '--home', home, '--port', '0', '--db', url], {
        env: { PATH: process.env.PATH ?? '', HOME: home, LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      await new Promise<void>((resolve, reject) => {
        // The start line names the database (pino writes it asynchronously, after "listening").
        const check = () => /"db":"postgres/.test(out) && resolve();
        child.stdout.on('data', check);
        child.stderr.on('data', check);
        child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
      });
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      expect(out).toMatch(/"db":"postgres:\/\/[^"]*@127\.0\.0\.1:\d+\/t_/);
      expect(out).not.toContain('Tr0ub4dor');
    } finally {
      await db.drop();
    }
  });
});
