/** The wire shapes of a workflow run and of its steps: zod schemas and types. */
import { z } from 'zod';

export const runStatus = z.enum(['running', 'completed', 'failed', 'cancelled']);

export const stepView = z.object({
  id: z.string(),
  parent: z.string().nullable().describe('The parallel step this branch belongs to'),
  call: z.string().nullable().describe('Null for a parallel step'),
  status: z.enum(['pending', 'running', 'completed', 'failed', 'skipped', 'cancelled']),
  attempts: z.number().int(),
  output: z.unknown(),
  error: z.string().nullable().describe('The last failure (while retrying: the previous attempt’s)'),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
});
export type StepView = z.infer<typeof stepView>;

/** A run as listings show it: no steps. */
export const runSummary = z.object({
  run_id: z.string(),
  name: z.string().nullable(),
  status: runStatus,
  started_by: z.string().describe('admin or agent:<id>: the identity the steps act with'),
  correlation_id: z.string().describe('Carried by every call of the run (downstream _meta, logs)'),
  inputs: z.record(z.string(), z.unknown()),
  output: z.unknown(),
  error: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  finished_at: z.string().nullable(),
});
export type RunSummary = z.infer<typeof runSummary>;

export const runView = runSummary.extend({ steps: z.array(stepView) });
export type RunView = z.infer<typeof runView>;
