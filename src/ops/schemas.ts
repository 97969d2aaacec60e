/** Zod shapes shared by several operations: common fields (the wire views live in core/wire). */
import { z } from 'zod';
import { inboxMessageView } from '../core/wire/index.js';

/** A message body: text or a JSON object. */
export const body = z.union([z.string(), z.record(z.string(), z.unknown())]);

export const inboxResult = z.object({
  messages: z.array(inboxMessageView),
  next_cursor: z.string().describe('Pass as `since` to continue after the last message returned'),
  has_more: z.boolean(),
});

/** Ids of agents, messages, threads: printable, bounded. */
export const idString = z.string().min(1).max(128);

export const actingAgentId = idString
  .optional()
  .describe('The agent to act as; defaults to you. Only the admin may name another agent.');

export const limit = (max: number, dflt: number) =>
  z.number().int().min(1).max(max).optional().describe(`How many at most (1-${max}, default ${dflt})`);
