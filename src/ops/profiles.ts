/**
 * Tool profiles: which part of the catalog an MCP connection lists (`/mcp?tools=messaging,coordination`,
 * `switchboard connect --tools`, `switchboard mcp --tools`). Every operation belongs to exactly one
 * profile, by its domain group; `core` (identify yourself) is part of every selection, so a connection
 * with any profile can still register and ask who it is.
 */
import { HubError } from '../core/errors.js';

export const TOOL_PROFILES = [
  'core',
  'messaging',
  'coordination',
  'instances',
  'gateway',
  'analytics',
] as const;
export type ToolProfile = (typeof TOOL_PROFILES)[number];

/** What `?tools=` accepts: a profile, or `all`. */
export const PROFILE_CHOICES: readonly string[] = [...TOOL_PROFILES, 'all'];

/** The operations every selection includes. */
const CORE_OPS: ReadonlySet<string> = new Set(['register_agent', 'whoami']);

/** An operation's group (its file under src/ops) → its profile. */
const GROUP_PROFILES: Readonly<Record<string, ToolProfile>> = {
  agents: 'messaging',
  messages: 'messaging',
  tasks: 'coordination',
  context: 'coordination',
  leases: 'coordination',
  coordination: 'coordination',
  workflows: 'coordination',
  instances: 'instances',
  gateway: 'gateway',
  system: 'analytics',
  analytics: 'analytics',
};

export function profileOf(op: { name: string; group: string }): ToolProfile {
  if (CORE_OPS.has(op.name)) return 'core';
  const profile = GROUP_PROFILES[op.group];
  if (!profile)
    throw new Error(`operation ${op.name}: group ${op.group} has no tool profile (src/ops/profiles.ts)`);
  return profile;
}

/** The profiles a connection selected; `core` is always among them. */
export type ToolSelection = ReadonlySet<ToolProfile>;

export const ALL_PROFILES: ToolSelection = new Set(TOOL_PROFILES);

/**
 * Parses `messaging,coordination` (commas, spaces allowed); absent → every profile. Anything unknown
 * (or an empty value) is refused with the list of allowed names.
 */
export function parseToolProfiles(value: string | null | undefined, where = 'tools'): ToolSelection {
  if (value === undefined || value === null) return ALL_PROFILES;
  const names = value
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const unknown = names.filter((n) => !PROFILE_CHOICES.includes(n));
  if (names.length === 0 || unknown.length > 0) {
    const what =
      names.length === 0
        ? 'names no tool profile'
        : `has unknown tool profile(s) ${unknown.map((n) => `"${n}"`).join(', ')}`;
    throw new HubError(
      'invalid_input',
      `${where} ${what}; allowed: ${PROFILE_CHOICES.join(', ')} (comma-separated, e.g. messaging,coordination)`,
    );
  }
  if (names.includes('all')) return ALL_PROFILES;
  return new Set<ToolProfile>(['core', ...(names as ToolProfile[])]);
}

/** `messaging,coordination` (without the implicit core), or `all`. */
export function describeSelection(selection: ToolSelection): string {
  if (TOOL_PROFILES.every((p) => selection.has(p))) return 'all';
  return [...selection].filter((p) => p !== 'core').join(',') || 'core';
}
