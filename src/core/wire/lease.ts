/** The wire shapes of a lease on file globs and of a clash with one: zod schemas and types. */
import { z } from 'zod';

export const leaseMode = z.enum(['exclusive', 'shared']);

export const leaseView = z.object({
  lease_id: z.string(),
  project: z.string(),
  holder: z.string(),
  mode: leaseMode,
  patterns: z.array(z.string()),
  reason: z.string().nullable(),
  acquired_at: z.string(),
  renewed_at: z.string(),
  expires_at: z.string(),
});
export type LeaseView = z.infer<typeof leaseView>;

/** One clash between a requested pattern and a pattern someone else holds. */
export const leaseConflict = z.object({
  lease_id: z.string(),
  holder: z.string(),
  mode: leaseMode,
  /** The holder's pattern. */
  pattern: z.string(),
  /** Your pattern that overlaps it. */
  requested: z.string(),
  expires_at: z.string(),
  reason: z.string().nullable(),
});
export type LeaseConflict = z.infer<typeof leaseConflict>;
