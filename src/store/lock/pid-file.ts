/**
 * The pid file a running hub keeps beside its lock (`<home>/hub.pid`): the first line is its process
 * id (so `kill $(head -n1 hub.pid)` works), then `key=value` lines: its URL once it listens, when it
 * started, its data directory and its database. Only the hub holding the lock writes it.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

export interface HubHolder {
  pid: number;
  /** The base URL, once the hub listens. */
  url?: string;
  startedAt?: string;
  home?: string;
  db?: string;
}

const KEYS = { url: 'url', started_at: 'startedAt', home: 'home', db: 'db' } as const;

export function formatPidFile(h: HubHolder): string {
  const lines = [String(h.pid)];
  for (const [key, field] of Object.entries(KEYS)) {
    const value = h[field];
    if (value) lines.push(`${key}=${value}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The holder a pid file names, or undefined when it names none (empty, garbled). */
export function parsePidFile(text: string): HubHolder | undefined {
  const [first, ...rest] = text.split('\n');
  const pid = Number(first?.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const out: HubHolder = { pid };
  for (const line of rest) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const field = KEYS[line.slice(0, eq).trim() as keyof typeof KEYS];
    const value = line.slice(eq + 1).trim();
    if (field && value) out[field] = value;
  }
  return out;
}

export function readPidFile(path: string): HubHolder | undefined {
  try {
    return parsePidFile(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Written whole (a temp file renamed over it), so a reader never sees half of it. */
export function writePidFile(path: string, h: HubHolder): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, formatPidFile(h), { mode: 0o644 });
  renameSync(tmp, path);
}

/** Removes the pid file if it still names this holder (a newer hub's file stays). */
export function removePidFile(path: string, h: HubHolder): void {
  const now = readPidFile(path);
  if (now && (now.pid !== h.pid || now.startedAt !== h.startedAt)) return;
  rmSync(path, { force: true });
}
