/**
 * A consistent copy of a hub's database while the hub may be running, through SQLite's online backup
 * (copying only the `.db` file would miss what is still in the `-wal`). The copy is written beside the
 * target and renamed into place once complete and checked, and it is one self-contained file
 * (rollback journal, no `-wal` to keep with it).
 */
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { HubError } from '../../core/errors.js';

export interface BackupResult {
  source: string;
  file: string;
  bytes: number;
  pages: number;
}

/** Copies every page in one step: a single read transaction, so concurrent writes cannot restart it. */
const ALL_PAGES = 0x7fffffff;

export async function backupDatabase(
  source: string,
  target: string,
  opts: { overwrite?: boolean } = {},
): Promise<BackupResult> {
  const src = resolve(source);
  const file = resolve(target);
  if (!existsSync(src)) {
    throw new HubError('not_found', `No database at ${src}; check --home, --db or SWITCHBOARD_HOME`);
  }
  if (file === src) throw new HubError('invalid_input', 'The backup file must not be the database itself');
  if (!existsSync(dirname(file))) {
    throw new HubError('invalid_input', `The directory ${dirname(file)} does not exist; create it first`);
  }
  if (existsSync(file) && !opts.overwrite) {
    throw new HubError(
      'conflict',
      `${file} already exists; choose another file, or pass --force to replace it`,
    );
  }
  const partial = `${file}.partial-${process.pid}`;
  let pages = 0;
  try {
    const db = new Database(src, { fileMustExist: true, timeout: 5000 });
    try {
      pages = (await db.backup(partial, { progress: () => ALL_PAGES })).totalPages;
    } finally {
      db.close();
    }
    const copy = new Database(partial, { fileMustExist: true });
    try {
      copy.pragma('journal_mode = DELETE');
      const check = copy.pragma('quick_check', { simple: true });
      if (check !== 'ok')
        throw new HubError('internal', `The backup failed its integrity check: ${String(check)}`);
    } finally {
      copy.close();
    }
    renameSync(partial, file);
  } catch (err) {
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${partial}${suffix}`, { force: true });
    if (err instanceof HubError) throw err;
    throw new HubError('unavailable', `Backing up ${src} failed: ${(err as Error).message}`);
  }
  return { source: src, file, bytes: statSync(file).size, pages };
}
