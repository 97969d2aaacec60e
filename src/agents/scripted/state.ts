/**
 * Sessions of the stand-ins: one small JSON file per session, so that a process resuming the
 * session (codex and gemini: every turn after the first; Claude Code: `--resume` after a restart)
 * answers with the script's next turn and reports the same session id. The directory is $SWITCHBOARD_SCRIPTED_STATE, else `sessions/` next to the script (the
 * hub keeps scripts in the instance's private directory, never in the workspace).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The protocols whose sessions outlive a process (Claude Code's --resume, codex exec resume, gemini --resume). */
export type PerTurnProtocol = 'claude-code' | 'codex' | 'gemini';

export interface SessionState {
  protocol: PerTurnProtocol;
  session_id: string;
  /** User turns started in this session (a turn counts once its prompt is taken, even if it crashes). */
  turns: number;
  /** Token totals over the session (codex reports these thread totals at the end of every turn). */
  totals: { input_tokens: number; cached_input_tokens: number; output_tokens: number };
  created_at: string;
  updated_at: string;
}

export const stateDir = (scriptFile: string, env: NodeJS.ProcessEnv = process.env): string =>
  env.SWITCHBOARD_SCRIPTED_STATE || join(dirname(resolve(scriptFile)), 'sessions');

/** Session ids become file names: anything else is no session at all. */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const fileOf = (dir: string, id: string) => join(dir, `${id}.json`);

export function newSession(protocol: PerTurnProtocol, id: string = randomUUID()): SessionState {
  const now = new Date().toISOString();
  return {
    protocol,
    session_id: id,
    turns: 0,
    totals: { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0 },
    created_at: now,
    updated_at: now,
  };
}

/** The session with this id, when it exists and belongs to this protocol. */
export function loadSession(dir: string, protocol: PerTurnProtocol, id: string): SessionState | null {
  if (!SAFE_ID.test(id)) return null;
  try {
    const s = JSON.parse(readFileSync(fileOf(dir, id), 'utf8')) as SessionState;
    return s.protocol === protocol && s.session_id === id ? s : null;
  } catch {
    return null;
  }
}

/** The session of this protocol updated last (gemini's `--resume latest`). */
export function latestSession(dir: string, protocol: PerTurnProtocol): SessionState | null {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return null;
  }
  let best: SessionState | null = null;
  for (const n of names) {
    const s = loadSession(dir, protocol, n.slice(0, -5));
    if (s && (!best || s.updated_at > best.updated_at)) best = s;
  }
  return best;
}

/** Writes the session (atomically: a temporary file renamed over the old one). */
export function saveSession(dir: string, s: SessionState): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  s.updated_at = new Date().toISOString();
  const tmp = join(dir, `.${s.session_id}.${process.pid}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, fileOf(dir, s.session_id));
}
