/**
 * One hub per data directory and per database. A hub holds a write lock on `<home>/hub.lock` (a tiny
 * SQLite file used only for its lock) for as long as it runs, and writes `<home>/hub.pid` naming
 * itself; a database outside the home gets its own `<db>.hub.lock` / `<db>.hub.pid`. The operating
 * system drops the lock when the process ends however it ends (SIGKILL too), so a stale pid file never
 * blocks the next start, and a reused pid never fakes a running hub. SQLite tracks its locks per file
 * in a process, so the same home twice in one process is refused as well.
 */
import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { HubError } from '../../core/errors.js';
import { type HubHolder, readPidFile, removePidFile, writePidFile } from './pid-file.js';
import { processAlive } from './process-alive.js';

/** How long taking a lock waits for a competitor's brief hold (a `stop` probing it) before refusing. */
const ACQUIRE_WAIT_MS = 500;
/** How long a probe waits for another probe's brief hold before it counts the lock as held. */
const PROBE_WAIT_MS = 50;

export interface LockSite {
  lockFile: string;
  pidFile: string;
  /** What the lock guards, for messages: "data directory /x" or "database /x/y.db". */
  what: string;
}

/** The path with its directory's symlinks resolved (created if missing), so one file has one name. */
function canonical(path: string, create = true): string {
  const dir = dirname(path);
  if (create) mkdirSync(dir, { recursive: true, mode: 0o700 });
  else if (!existsSync(dir)) return resolve(path);
  return join(realpathSync(dir), basename(path));
}

export function homeSite(home: string, create = true): LockSite {
  const dir = canonical(join(home, 'hub.lock'), create);
  return { lockFile: dir, pidFile: join(dirname(dir), 'hub.pid'), what: `data directory ${dirname(dir)}` };
}

/**
 * The lock for a database file: a database at its default name (`switchboard.db`) shares its
 * directory's `hub.lock`, so a home's hub and a hub elsewhere pointing `--db` at that home's database
 * meet on the same lock; any other file gets `<file>.hub.lock`.
 */
export function databaseSite(db: string): LockSite | undefined {
  if (db === ':memory:' || db === '') return undefined;
  const file = canonical(db);
  if (basename(file) === 'switchboard.db') return { ...homeSite(dirname(file)), what: `database ${file}` };
  return { lockFile: `${file}.hub.lock`, pidFile: `${file}.hub.pid`, what: `database ${file}` };
}

const isBusy = (err: unknown) => /^SQLITE_BUSY/.test((err as { code?: string }).code ?? '');

/** Holds the write lock of one lock file; undefined when another connection holds it. */
function take(site: LockSite, waitMs: number): Database.Database | undefined {
  let db: Database.Database | undefined;
  try {
    db = new Database(site.lockFile, { timeout: waitMs });
    db.exec('BEGIN IMMEDIATE');
    return db;
  } catch (err) {
    db?.close();
    if (isBusy(err)) return undefined;
    throw new HubError(
      'unavailable',
      `Cannot lock ${site.lockFile} (${(err as Error).message}); when no hub runs, remove it and start again`,
    );
  }
}

function free(db: Database.Database): void {
  try {
    if (db.inTransaction) db.exec('ROLLBACK');
  } finally {
    db.close();
  }
}

/** The hub the pid file names, if that process is alive. */
function liveHolder(site: LockSite): HubHolder | undefined {
  const holder = readPidFile(site.pidFile);
  return holder && processAlive(holder.pid) ? holder : undefined;
}

function refusal(site: LockSite, holder: HubHolder | undefined, home: string): HubError {
  const stop = `switchboard stop --home ${holder?.home ?? home}`;
  if (!holder) {
    return new HubError(
      'conflict',
      `Another hub is starting on ${site.what}; wait for it, or stop it with \`${stop}\``,
      { details: { lock_file: site.lockFile } },
    );
  }
  const where = holder.url ? `at ${holder.url}` : 'not listening yet';
  const since = holder.startedAt ? `, started ${holder.startedAt}` : '';
  return new HubError(
    'conflict',
    `Another hub is already running on ${site.what} (pid ${holder.pid}, ${where}${since}). ` +
      `Use that one${holder.url ? ` (SWITCHBOARD_URL=${holder.url})` : ''}, stop it with \`${stop}\`, ` +
      'or give this hub its own --home (and --db)',
    {
      details: {
        pid: holder.pid,
        url: holder.url ?? null,
        home: holder.home ?? null,
        db: holder.db ?? null,
        lock_file: site.lockFile,
      },
    },
  );
}

export class HubLock {
  private readonly held: Array<{ site: LockSite; db: Database.Database }> = [];
  private readonly holder: HubHolder;
  private released = false;

  private constructor(holder: HubHolder) {
    this.holder = holder;
  }

  /**
   * Takes the lock of the data directory and of the database (when it lives elsewhere), or throws a
   * `conflict` naming the hub that holds it. Writes the pid files once every lock is held. `db` is the
   * SQLite file, or undefined for a shared (PostgreSQL) database, which is never locked.
   */
  static acquire(opts: { home: string; db?: string; startedAt?: string }): HubLock {
    const home = homeSite(opts.home);
    const sites = [home];
    const dbSite = opts.db === undefined ? undefined : databaseSite(opts.db);
    if (dbSite && dbSite.lockFile !== home.lockFile) sites.push(dbSite);
    const lock = new HubLock({
      pid: process.pid,
      startedAt: opts.startedAt ?? new Date().toISOString(),
      home: dirname(home.lockFile),
      db: opts.db,
    });
    try {
      for (const site of sites) {
        const db = take(site, ACQUIRE_WAIT_MS);
        if (!db) throw refusal(site, liveHolder(site), dirname(home.lockFile));
        lock.held.push({ site, db });
      }
      lock.writePidFiles();
    } catch (err) {
      lock.release();
      throw err;
    }
    return lock;
  }

  /** Records the URL the hub listens on in its pid files. */
  setUrl(url: string): void {
    if (this.released) return;
    this.holder.url = url;
    this.writePidFiles();
  }

  /** Removes the pid files (if still ours) and drops the locks. Safe to call twice. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const { site, db } of this.held.reverse()) {
      try {
        removePidFile(site.pidFile, this.holder);
      } finally {
        free(db);
      }
    }
    this.held.length = 0;
  }

  private writePidFiles(): void {
    for (const { site } of this.held) writePidFile(site.pidFile, this.holder);
  }
}

export type LockState =
  | { running: false; site: LockSite; stale?: HubHolder }
  | { running: true; site: LockSite; holder?: HubHolder };

/**
 * Whether a hub runs on this data directory, without starting one: holds the lock for an instant if
 * it is free. `stale` is what a pid file left by a hub that died names.
 */
export function probeHubLock(home: string): LockState {
  const site = homeSite(home, false);
  if (!existsSync(site.lockFile)) return { running: false, site, stale: readPidFile(site.pidFile) };
  const db = take(site, PROBE_WAIT_MS);
  if (!db) return { running: true, site, holder: liveHolder(site) };
  free(db);
  return { running: false, site, stale: readPidFile(site.pidFile) };
}
