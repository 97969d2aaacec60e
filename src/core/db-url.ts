/**
 * What `--db` names: a `postgres://` (or `postgresql://`) URL means PostgreSQL (cluster mode),
 * anything else a SQLite file. A URL may hold a password, so it is only ever shown through
 * `describeDb`: logs, notes, errors and status never carry the password.
 */
export const isPostgresUrl = (db: string): boolean => /^postgres(ql)?:\/\//i.test(db);

/** The database named for people and logs: a URL without its password (and without query options). */
export function describeDb(db: string): string {
  if (!isPostgresUrl(db)) return db;
  try {
    const u = new URL(db);
    if (u.password) u.password = '***';
    u.search = '';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

/** The URL with its password replaced by `placeholder` (for a printed config file). */
export function withoutPassword(db: string, placeholder: string): string {
  if (!isPostgresUrl(db)) return db;
  try {
    const u = new URL(db);
    if (!u.password) return db;
    u.password = encodeURIComponent(placeholder);
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}
