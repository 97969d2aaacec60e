/** Operations about the hub itself. */
import { z } from 'zod';
import { defineOp } from './types.js';

export const hubStatus = defineOp({
  name: 'hub_status',
  group: 'system',
  summary: 'The hub’s version, uptime, agents by status and live connections',
  access: 'public',
  http: { method: 'GET', path: '/api/v1/status' },
  annotations: { readOnly: true },
  input: z.strictObject({}),
  output: z.object({
    status: z.literal('ok'),
    version: z.string(),
    started_at: z.string(),
    uptime_seconds: z.number(),
    agents: z.record(z.string(), z.number()),
    live: z.record(z.string(), z.number()),
  }),
  async handler(ctx) {
    const { info } = ctx.services;
    return {
      status: 'ok' as const,
      version: info.version,
      started_at: info.startedAt,
      uptime_seconds: Math.round((Date.now() - Date.parse(info.startedAt)) / 1000),
      agents: await ctx.services.agents.counts(),
      live: info.live(),
    };
  },
});

export const systemOps = [hubStatus] as const;
