/** Which agent a call acts as: the caller's own agent, or for the admin, the agent it names. */
import { HubError } from '../core/errors.js';
import type { AgentRecord } from '../store/types.js';
import type { OpContext } from './types.js';

export async function actingAgent(
  ctx: OpContext,
  named: string | undefined,
  field = 'agent_id',
): Promise<AgentRecord> {
  const { caller } = ctx;
  if (caller.kind === 'agent') {
    if (named !== undefined && named !== caller.agentId) {
      throw new HubError(
        'forbidden',
        `You are authenticated as agent ${caller.agentId} and cannot act as ${named}; leave ${field} out or set it to your own id`,
      );
    }
    return ctx.services.agents.requireActive(caller.agentId);
  }
  if (caller.kind === 'admin') {
    if (!named) throw new HubError('invalid_input', `${field}: as the admin, name the agent to act for`);
    return ctx.services.agents.requireActive(named);
  }
  throw new HubError(
    'unauthorized',
    'This needs an agent identity: send Authorization: Bearer <agent token>',
  );
}

/** The agent id whose view limits what is visible (null: the admin sees everything). */
export function viewerOf(ctx: OpContext): string | null {
  return ctx.caller.kind === 'agent' ? ctx.caller.agentId : null;
}
