/** Zod shapes of the task operations (the task view itself is core/wire/task.ts). */
import { z } from 'zod';
import { HubError } from '../core/errors.js';
import type { Actor } from '../domain/tasks/service.js';
import type { OpContext } from './types.js';
import { taskView } from '../core/wire/index.js';

export const taskId = z.string().min(1).max(128).describe('A task id (tsk_...)');

export const capability = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/,
    'a capability is 1-64 letters, digits, ".", "_", ":", "/" or "-"',
  );

export const taskResult = z.object({ task: taskView });

/** The caller as an agent, or null for the admin (who may read and cancel without naming an agent). */
export async function actorOf(ctx: OpContext, named?: string): Promise<Actor> {
  const { caller } = ctx;
  if (caller.kind === 'agent') {
    if (named !== undefined && named !== caller.agentId) {
      throw new HubError(
        'forbidden',
        `You are authenticated as agent ${caller.agentId} and cannot act as ${named}`,
      );
    }
    return ctx.services.agents.requireActive(caller.agentId);
  }
  if (caller.kind === 'admin') return named ? ctx.services.agents.requireActive(named) : null;
  throw new HubError(
    'unauthorized',
    'This needs an agent identity: send Authorization: Bearer <agent token>',
  );
}
