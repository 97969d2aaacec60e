/** Operations about the hub itself. */
import { z } from 'zod';
import { defineOp } from './types.js';

export const hubStatus = defineOp({
  name: 'hub_status',
  group: 'system',
  summary: 'The hub’s version, uptime, agents by status and live connections',
  description:
    'Agent counts are of the caller’s own project for an agent token, of every project for the admin, ' +
    'and left out ({}) for a caller without a token when auth.anonymousDirectory is off.',
  access: 'public',
  http: { method: 'GET', path: '/api/v1/status' },
  annotations: { readOnly: true },
  input: z.strictObject({}),
  output: z.object({
    status: z.literal('ok'),
    version: z.string(),
    started_at: z.string(),
    uptime_seconds: z.number(),
    agents: z.record(z.string(), z.number()).describe('Agents by status, as far as the caller may see'),
    live: z.record(z.string(), z.number()),
  }),
  async handler(ctx) {
    const { info, agents } = ctx.services;
    const view = await agents.directoryView(ctx.caller);
    return {
      status: 'ok' as const,
      version: info.version,
      started_at: info.startedAt,
      uptime_seconds: Math.round((Date.now() - Date.parse(info.startedAt)) / 1000),
      agents:
        view.kind === 'closed' ? {} : await agents.counts(view.kind === 'project' ? view.project : undefined),
      live: info.live(),
    };
  },
});

export const systemOps = [hubStatus] as const;
