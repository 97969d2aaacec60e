/** The wire shapes of a shared context entry and of one change in its history: zod schemas and types. */
import { z } from 'zod';

export const contextEntryView = z.object({
  scope: z.string(),
  scope_id: z.string(),
  key: z.string(),
  value: z.unknown(),
  version: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
  updated_by: z.string().nullable(),
  expires_at: z.string().nullable(),
});
export type ContextEntryView = z.infer<typeof contextEntryView>;

export const contextChangeKind = z.enum(['set', 'delete', 'expire']);

export const contextChangeView = z.object({
  version: z.number().int(),
  change: contextChangeKind,
  value: z.unknown(),
  by: z.string().nullable(),
  at: z.string(),
  expires_at: z.string().nullable(),
});
export type ContextChangeView = z.infer<typeof contextChangeView>;
