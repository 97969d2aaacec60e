/**
 * Which agent ids a registration may take. An id is what others address a message to, so it must
 * never read as one of the other kinds of address (`ALL`, `capability:<name>`, `topic:<name>`), in any
 * letter case: a message meant for an agent would reach everyone, or the other way round.
 */
import { CLIENT_ID_PATTERN } from '../../core/ids.js';

/** Addresses `to` understands besides agent ids (see messages/addressing.ts). */
const ADDRESS_WORDS = ['all'];
const ADDRESS_PREFIXES = ['capability:', 'topic:'];

/** Why this id cannot be an agent's, or undefined when it can. */
export function agentIdProblem(id: string): string | undefined {
  const lower = id.toLowerCase();
  if (ADDRESS_WORDS.includes(lower)) {
    return `"${id}" reads as an address: to "ALL" sends to every agent of the project, so no agent may be called that (in any letter case); choose another agent_id`;
  }
  const prefix = ADDRESS_PREFIXES.find((p) => lower.startsWith(p));
  if (prefix) {
    return `"${id}" reads as an address: to "${prefix}<name>" sends to ${prefix === 'topic:' ? "a topic's subscribers" : 'the agents with that capability'}, so no agent id may start with it; choose another agent_id`;
  }
  if (!CLIENT_ID_PATTERN.test(id)) {
    return 'must be 1-64 characters of letters, digits, ".", "_" or "-", starting with a letter or digit';
  }
  return undefined;
}
