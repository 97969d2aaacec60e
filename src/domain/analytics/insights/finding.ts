/**
 * What an insight is: a finding a person should act on, with the numbers that show it and what to
 * do. Every rule module returns these; shared helpers (median, rounding, ordering) live here.
 */

export type Severity = 'info' | 'warning' | 'critical';

export interface Finding {
  /** Stable rule name, e.g. `backlog`, `slow_responder`, `failing_tool`. */
  kind: string;
  severity: Severity;
  /** One line a person reads first. */
  title: string;
  /** The agents involved (ids), most involved first; empty for hub-wide findings. */
  agents: string[];
  /** The figures behind the finding. */
  evidence: Record<string, number>;
  /** What to do about it. */
  action: string;
}

const RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** Most severe first, then by kind and title (a stable order for people and tests). */
export function byUrgency(a: Finding, b: Finding): number {
  return (
    RANK[a.severity] - RANK[b.severity] || a.kind.localeCompare(b.kind) || a.title.localeCompare(b.title)
  );
}

/** The median of a list (the mean of the middle two for an even count); null when empty. */
export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** `name (id)` when the agent has a name that differs from its id, else the id. */
export function label(a: { agent_id: string; name?: string | null }): string {
  return a.name && a.name !== a.agent_id ? `${a.name} (${a.agent_id})` : a.agent_id;
}
