/**
 * An agent row as the store keeps it, for store-level tests: active, in project `p1`, created and
 * last seen at `at`, with a token hash of its own; `extra` overrides any field.
 */
import type { AgentRecord } from '../../src/store/types.js';

export function agentRecord(id: string, at: string, extra: Partial<AgentRecord> = {}): AgentRecord {
  return {
    id,
    name: `name-${id}`,
    sessionId: null,
    project: 'p1',
    role: null,
    description: null,
    capabilities: [],
    metadata: {},
    tokenHash: `hash-${id}`,
    declaredStatus: 'active',
    createdAt: at,
    lastSeenAt: at,
    retiredAt: null,
    ...extra,
  };
}
