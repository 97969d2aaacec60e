/**
 * The bounds of what an agent tells about itself. Everything here is shown to other agents (listings,
 * peers, events), so every free-form field has a size; metadata, the one open-ended field, is limited
 * by its JSON size (`agents.maxMetadataBytes`) and is shown only by get_agent (and whoami), never in lists.
 */
import { HubError } from '../../core/errors.js';
import type { AgentSummary, AgentView } from '../../core/wire/index.js';

export const AGENT_LIMITS = {
  nameLength: 128,
  descriptionLength: 2000,
  roleLength: 64,
  projectLength: 128,
  sessionIdLength: 256,
  capabilities: 64,
  capabilityLength: 64,
  /** A listing shows this much of a description; get_agent shows it all. */
  listedDescriptionLength: 200,
  /** Agents per page of list_agents (default and most). */
  defaultPage: 100,
  maxPage: 500,
} as const;

/** The fields of a registration that are free-form text, with their limits. */
const TEXT_FIELDS = [
  ['name', AGENT_LIMITS.nameLength],
  ['description', AGENT_LIMITS.descriptionLength],
  ['role', AGENT_LIMITS.roleLength],
  ['project', AGENT_LIMITS.projectLength],
  ['session_id', AGENT_LIMITS.sessionIdLength],
] as const;

interface AgentFields {
  name?: string;
  description?: string;
  role?: string;
  project?: string;
  session_id?: string;
  capabilities?: string[];
  metadata?: Record<string, unknown>;
}

/**
 * Refuses a registration with any field over its limit, naming the field and the limit. The op
 * schemas say the same for callers from outside; this covers callers inside the hub (instances).
 */
export function checkAgentFields(input: AgentFields, maxMetadataBytes: number): void {
  for (const [field, max] of TEXT_FIELDS) {
    const value = input[field];
    if (value !== undefined && value.length > max) {
      throw new HubError(
        'invalid_input',
        `${field}: ${value.length} characters, more than the ${max} allowed`,
      );
    }
  }
  const caps = input.capabilities ?? [];
  if (caps.length > AGENT_LIMITS.capabilities) {
    throw new HubError(
      'invalid_input',
      `capabilities: ${caps.length} of them, more than the ${AGENT_LIMITS.capabilities} an agent may have`,
    );
  }
  const long = caps.findIndex((c) => c.length > AGENT_LIMITS.capabilityLength);
  if (long >= 0) {
    throw new HubError(
      'invalid_input',
      `capabilities.${long}: more than the ${AGENT_LIMITS.capabilityLength} characters a capability may have`,
    );
  }
  checkMetadataSize(input.metadata, maxMetadataBytes);
}

/** Refuses metadata whose JSON text is larger than the setting allows, naming both. */
export function checkMetadataSize(metadata: Record<string, unknown> | undefined, maxBytes: number): void {
  if (metadata === undefined) return;
  const bytes = Buffer.byteLength(JSON.stringify(metadata), 'utf8');
  if (bytes > maxBytes) {
    throw new HubError(
      'payload_too_large',
      `metadata: ${bytes} bytes as JSON, more than the ${maxBytes} an agent may have (agents.maxMetadataBytes); ` +
        'keep large data in shared context (set_context) and put only a reference in metadata; nothing was stored',
      { details: { bytes, limit: maxBytes, setting: 'agents.maxMetadataBytes' } },
    );
  }
}

/** A description as listings show it: the first `listedDescriptionLength` characters. */
export function listedDescription(description: string | null): string | null {
  if (description === null || description.length <= AGENT_LIMITS.listedDescriptionLength) return description;
  return `${description.slice(0, AGENT_LIMITS.listedDescriptionLength - 1)}…`;
}

/** An agent as others see it in listings and events: no metadata, the description cut short. */
export function summaryOf({ metadata: _left, ...agent }: AgentView): AgentSummary {
  return { ...agent, description: listedDescription(agent.description) };
}
