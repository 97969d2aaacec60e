/** Operations of the leases capability: hold file globs exclusively or shared, check paths. */
import { z } from 'zod';
import { HubError } from '../core/errors.js';
import { leaseConflict as leaseHit, leaseView } from '../core/wire/index.js';
import { LEASE_LIMITS } from '../domain/leases/limits.js';
import { actingAgent } from './acting.js';
import { actingAgentId, idString } from './schemas.js';
import { defineOp, type OpContext } from './types.js';

const pattern = z
  .string()
  .min(1)
  .max(
    LEASE_LIMITS.maxPatternLength,
    `a pattern has at most ${LEASE_LIMITS.maxPatternLength} characters (and at most ${LEASE_LIMITS.maxStarsPerPattern} "*")`,
  );

const path = z
  .string()
  .min(1)
  .max(LEASE_LIMITS.maxPathLength, `a path has at most ${LEASE_LIMITS.maxPathLength} characters`);

const ttl = z
  .number()
  .int()
  .min(1)
  .max(LEASE_LIMITS.maxTtlSeconds)
  .optional()
  .describe(`Seconds until the lease expires by itself (default ${LEASE_LIMITS.defaultTtlSeconds})`);

/** The acting agent, or null for the admin acting for nobody in particular. */
async function agentOrAdmin(ctx: OpContext, named: string | undefined) {
  if (ctx.caller.kind === 'admin' && !named) return null;
  return actingAgent(ctx, named);
}

/** The project whose leases a read looks at: an agent's own; the admin's choice (all when absent). */
async function projectOf(ctx: OpContext, named: string | undefined): Promise<string | undefined> {
  if (ctx.caller.kind !== 'agent') return named;
  const me = await ctx.services.agents.requireActive(ctx.caller.agentId);
  if (named && named !== me.project) {
    throw new HubError('forbidden', `project: you belong to project ${me.project}, not ${named}`);
  }
  return me.project;
}

export const acquireLease = defineOp({
  name: 'acquire_lease',
  group: 'leases',
  summary: 'Lease file glob patterns, exclusively or shared, for a while (all or nothing)',
  description:
    'Patterns are repository-relative globs: * and ? within a segment, ** for any number of segments, a ' +
    'trailing / for a whole directory. Exclusive leases clash with any other agent’s overlapping lease; shared ' +
    'leases clash only with exclusive ones. On a clash nothing is leased and the error names the holder, the ' +
    'overlapping patterns and when the lease expires.',
  access: 'agent',
  http: { method: 'POST', path: '/api/v1/leases', status: 201 },
  input: z.strictObject({
    agent_id: actingAgentId,
    patterns: z
      .array(pattern)
      .min(1)
      .max(
        LEASE_LIMITS.maxPatterns,
        `at most ${LEASE_LIMITS.maxPatterns} patterns per lease; cover many files with ** or a directory/`,
      ),
    mode: z.enum(['exclusive', 'shared']).optional().describe('Default exclusive'),
    ttl_seconds: ttl,
    reason: z.string().max(500).optional(),
  }),
  output: leaseView,
  async handler(ctx, input) {
    const me = await actingAgent(ctx, input.agent_id);
    return ctx.services.leases.acquire(me, input);
  },
});

export const renewLease = defineOp({
  name: 'renew_lease',
  group: 'leases',
  summary: 'Extend a lease you hold (by its ttl, or a new one)',
  access: 'agent',
  http: { method: 'POST', path: '/api/v1/leases/:lease_id/renew' },
  input: z.strictObject({ agent_id: actingAgentId, lease_id: idString, ttl_seconds: ttl }),
  output: leaseView,
  async handler(ctx, input) {
    return ctx.services.leases.renew(
      await agentOrAdmin(ctx, input.agent_id),
      input.lease_id,
      input.ttl_seconds,
    );
  },
});

export const releaseLease = defineOp({
  name: 'release_lease',
  group: 'leases',
  summary: 'Give a lease back',
  access: 'agent',
  http: { method: 'DELETE', path: '/api/v1/leases/:lease_id' },
  annotations: { destructive: true },
  input: z.strictObject({ agent_id: actingAgentId, lease_id: idString }),
  output: z.object({ lease_id: z.string(), released: z.boolean() }),
  async handler(ctx, input) {
    return ctx.services.leases.release(await agentOrAdmin(ctx, input.agent_id), input.lease_id);
  },
});

export const listLeases = defineOp({
  name: 'list_leases',
  group: 'leases',
  summary: 'Live leases of your project, optionally by holder or covering a path, a page at a time',
  description: '`total` counts every match; for the next page, pass `offset` plus the leases you got.',
  access: 'agent',
  http: { method: 'GET', path: '/api/v1/leases' },
  annotations: { readOnly: true },
  input: z.strictObject({
    holder: idString.optional(),
    path: path.optional().describe('Only leases with a pattern matching this path'),
    project: idString.optional().describe('The admin may look at any project (default: all)'),
    limit: z
      .number()
      .int()
      .min(1)
      .max(LEASE_LIMITS.maxPage, `at most ${LEASE_LIMITS.maxPage} leases per page`)
      .optional()
      .describe(`Leases per page (1-${LEASE_LIMITS.maxPage}, default ${LEASE_LIMITS.defaultPage})`),
    offset: z.number().int().min(0).optional().describe('Skip this many matches (default 0)'),
  }),
  output: z.object({ leases: z.array(leaseView), total: z.number().int() }),
  async handler(ctx, input) {
    const project = await projectOf(ctx, input.project);
    const { limit = LEASE_LIMITS.defaultPage, offset = 0, ...filter } = input;
    const leases = await ctx.services.leases.list({ ...filter, project });
    return { leases: leases.slice(offset, offset + limit), total: leases.length };
  },
});

export const checkPaths = defineOp({
  name: 'check_paths',
  group: 'leases',
  summary: 'Which of these paths are leased, by whom, and which are blocked for you',
  description:
    'A path is blocked when another agent holds it exclusively. The git pre-commit hook of ' +
    '`switchboard hooks install` asks this for the staged paths.',
  access: 'agent',
  http: { method: 'POST', path: '/api/v1/leases/check' },
  annotations: { readOnly: true },
  input: z.strictObject({
    paths: z
      .array(path)
      .min(1)
      .max(
        LEASE_LIMITS.maxPathsPerCheck,
        `at most ${LEASE_LIMITS.maxPathsPerCheck} paths per check; split the check`,
      ),
    project: idString.optional(),
  }),
  output: z.object({
    paths: z.array(z.object({ path: z.string(), blocked: z.boolean(), leases: z.array(leaseHit) })),
    blocked: z.array(z.string()),
  }),
  async handler(ctx, input) {
    const project = await projectOf(ctx, input.project);
    const asker = ctx.caller.kind === 'agent' ? ctx.caller.agentId : null;
    const paths = await ctx.services.leases.check(asker, project, input.paths);
    return { paths, blocked: paths.filter((p) => p.blocked).map((p) => p.path) };
  },
});

export const leaseOps = [acquireLease, renewLease, releaseLease, listLeases, checkPaths] as const;
