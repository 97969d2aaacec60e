/** Analytics operations: usage, conversation history and call figures, from rollups, cached for a TTL. */
import { z } from 'zod';
import { LATENCY_METRICS, type LatencyMetric } from '../domain/analytics/perf-fold.js';
import type { Viewer } from '../domain/analytics/service.js';
import type { OpContext } from './types.js';
import { idString } from './schemas.js';
import { defineOp } from './types.js';

const time = z.iso.datetime({ offset: true });

const filters = {
  project: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe('Only this project (an agent sees its own project only)'),
  agent_id: idString.optional().describe('Only this agent'),
  capability: z.string().min(1).max(128).optional().describe('Only agents with this capability'),
  role: z.string().min(1).max(128).optional().describe('Only agents with this role'),
  since: time.optional().describe('From this ISO-8601 time (minute granularity)'),
  until: time.optional().describe('Up to this ISO-8601 time (exclusive)'),
};

const cacheFields = {
  cached: z.boolean().describe('Served from the cache (analytics.cacheSeconds)'),
  age_seconds: z.number().describe('How old the answer is'),
};

const figures = {
  sent: z.number(),
  received: z.number(),
  tasks_claimed: z.number(),
  tasks_completed: z.number(),
  tasks_failed: z.number(),
  tokens: z.number(),
  cost_usd: z.number(),
  unread: z
    .number()
    .describe('Unread, unexpired messages in the inbox now (current state, not limited by since/until)'),
};

const callFigures = z.object({
  name: z.string(),
  calls: z.number(),
  errors: z.number(),
  error_rate: z.number(),
  mean_ms: z.number(),
  p50_ms: z.number().nullable(),
  p95_ms: z.number().nullable(),
  p99_ms: z.number().nullable(),
});

const bucket = z.enum(['minute', 'hour', 'day']).default('hour').describe('Series granularity; default hour');

const METRIC_MEANING: Record<LatencyMetric, string> = {
  delivery: 'message sent → a recipient read it (counted for the reader)',
  ack: 'message sent → a recipient acknowledged it (the acker)',
  response: 'request sent → its recipient’s first type=response reply_to it (the responder)',
  first_response: 'a thread’s first message → the first message in it from anyone else (that agent)',
  task_claim: 'task created → its first claim (the claimer)',
  task_complete: 'claim → completed, for the attempt that completed it (the completer)',
  turn: 'instance user turn sent → its result (the instance’s agent)',
};

const latency = {
  count: z.number().describe('Samples'),
  mean_ms: z.number().nullable().describe('Mean in ms; null without samples'),
  p50_ms: z
    .number()
    .nullable()
    .describe('Upper bound (ms) of the histogram bin holding the median; null without samples'),
  p95_ms: z.number().nullable(),
  p99_ms: z.number().nullable(),
};
const latencyFigures = z.object(latency);
const latencyPoint = z.object({ bucket_start: z.string().describe('ISO start of the bucket'), ...latency });
const metricFigures = z.object({
  ...latency,
  series: z.array(latencyPoint).describe('One point per bucket with samples, oldest first'),
});

/** The admin sees every project; an agent its own. */
export async function viewer(ctx: OpContext): Promise<Viewer> {
  if (ctx.caller.kind !== 'agent') return null;
  const me = await ctx.services.agents.requireActive(ctx.caller.agentId);
  return { project: me.project };
}

export const analyticsUsage = defineOp({
  name: 'analytics_usage',
  group: 'analytics',
  summary: 'Per agent, role and capability: messages sent and received, tasks, tokens and cost',
  description:
    'From rollups kept as things happen. An agent sees its own project only; the admin every project.',
  access: 'agent',
  http: { method: 'GET', path: '/api/v1/analytics/usage' },
  annotations: { readOnly: true },
  input: z.strictObject(filters),
  output: z.object({
    agents: z.array(
      z.object({
        agent_id: z.string(),
        name: z.string().nullable(),
        role: z.string().nullable(),
        capabilities: z.array(z.string()),
        project: z.string(),
        ...figures,
      }),
    ),
    by_role: z.array(z.object({ role: z.string(), agents: z.number(), ...figures })),
    by_capability: z.array(z.object({ capability: z.string(), agents: z.number(), ...figures })),
    totals: z.object({ agents: z.number(), ...figures }),
    ...cacheFields,
  }),
  async handler(ctx, input) {
    return ctx.services.analytics.usage(await viewer(ctx), input);
  },
});

export const analyticsHistory = defineOp({
  name: 'analytics_history',
  group: 'analytics',
  summary: 'Conversations over time: threads, participants and messages by type, as a series',
  description:
    'A series per bucket (minute, hour or day), totals, and the busiest threads. An agent sees its own project only.',
  access: 'agent',
  http: { method: 'GET', path: '/api/v1/analytics/history' },
  annotations: { readOnly: true },
  input: z.strictObject({
    ...filters,
    bucket,
    threads_limit: z
      .number()
      .int()
      .min(0)
      .max(200)
      .default(20)
      .describe('Busiest threads listed; default 20'),
  }),
  output: z.object({
    bucket: z.enum(['minute', 'hour', 'day']),
    series: z.array(
      z.object({
        bucket_start: z.string(),
        messages: z.number(),
        threads: z.number(),
        participants: z.number(),
        by_type: z.record(z.string(), z.number()),
      }),
    ),
    totals: z.object({
      messages: z.number(),
      threads: z.number(),
      participants: z.number(),
      by_type: z.record(z.string(), z.number()),
    }),
    threads: z.array(
      z.object({
        thread_id: z.string(),
        messages: z.number(),
        participants: z.number(),
        first_minute: z.string(),
        last_minute: z.string(),
      }),
    ),
    ...cacheFields,
  }),
  async handler(ctx, input) {
    return ctx.services.analytics.history(await viewer(ctx), input);
  },
});

export const analyticsTools = defineOp({
  name: 'analytics_tools',
  group: 'analytics',
  summary: 'Per hub operation and downstream tool: calls, error rate, mean and p50/p95/p99 latency',
  description:
    'Percentiles come from log-scale histogram bins (the upper bound of the bin, in ms). An agent sees calls ' +
    'made from its own project; downstream tool calls are hub-wide figures, for the admin.',
  access: 'agent',
  http: { method: 'GET', path: '/api/v1/analytics/tools' },
  annotations: { readOnly: true },
  input: z.strictObject({ project: filters.project, since: filters.since, until: filters.until }),
  output: z.object({ operations: z.array(callFigures), tools: z.array(callFigures), ...cacheFields }),
  async handler(ctx, input) {
    return ctx.services.analytics.tools(await viewer(ctx), input);
  },
});

export const analyticsInsights = defineOp({
  name: 'analytics_insights',
  group: 'analytics',
  summary:
    'Findings to act on: backlogs, slow responders, failing or slow tools, cost outliers, re-opening tasks, isolated agents',
  description:
    'Each finding has a severity, the agents involved, the figures that show it and a suggested action; most ' +
    'severe first. Over the last 24 hours unless since is given. An agent sees its own project only.',
  access: 'agent',
  http: { method: 'GET', path: '/api/v1/analytics/insights' },
  annotations: { readOnly: true },
  input: z.strictObject({
    project: filters.project,
    since: filters.since.describe('From this ISO-8601 time; default 24 hours ago'),
    until: filters.until,
    limit: z.number().int().min(1).max(200).default(50).describe('Findings listed at most; default 50'),
  }),
  output: z.object({
    since: z.string().describe('Start of the range read'),
    until: z.string().nullable().describe('End of the range read (null: now)'),
    counts: z
      .object({ critical: z.number(), warning: z.number(), info: z.number() })
      .describe('Findings per severity, before the limit'),
    findings: z.array(
      z.object({
        kind: z
          .string()
          .describe(
            'backlog, slow_responder, failing_tool, failing_operation, slow_tool, cost_outlier, reopening_task, ' +
              'isolated_agent, hub_and_spoke, pipeline or bottleneck',
          ),
        severity: z.enum(['info', 'warning', 'critical']),
        title: z.string(),
        agents: z.array(z.string()).describe('Agents involved (ids); empty for hub-wide findings'),
        evidence: z.record(z.string(), z.number()).describe('The figures that show it'),
        action: z.string().describe('What to do about it'),
      }),
    ),
    ...cacheFields,
  }),
  async handler(ctx, input) {
    return ctx.services.analytics.insights(await viewer(ctx), input);
  },
});

export const analyticsPerformance = defineOp({
  name: 'analytics_performance',
  group: 'analytics',
  summary:
    'Delivery, ack and request→response latency, task time to claim and to complete, instance turn time: p50/p95/p99 and a series',
  description:
    'Each metric: count, mean and p50/p95/p99 over the range, and per bucket (buckets with samples only). ' +
    'Percentiles are the upper bound of a log-scale bin (0.25 ms doubling). A sample counts in the minute it ended; ' +
    'agent filters match the agent that ended it (reader, acker, responder, claimer, completer). An agent sees its own project only.',
  access: 'agent',
  http: { method: 'GET', path: '/api/v1/analytics/performance' },
  annotations: { readOnly: true },
  input: z.strictObject({
    ...filters,
    bucket,
    agents_limit: z
      .number()
      .int()
      .min(0)
      .max(500)
      .default(50)
      .describe('Agents listed in by_agent (those with the most samples first); default 50'),
  }),
  output: z.object({
    bucket: z.enum(['minute', 'hour', 'day']),
    metrics: z
      .object(
        Object.fromEntries(
          LATENCY_METRICS.map((m) => [m, metricFigures.describe(METRIC_MEANING[m])]),
        ) as Record<LatencyMetric, typeof metricFigures>,
      )
      .describe('Per metric: figures over the whole range, and its series'),
    by_agent: z
      .array(
        z.object({
          agent_id: z.string().describe('The agent that ended the samples'),
          ...(Object.fromEntries(LATENCY_METRICS.map((m) => [m, latencyFigures])) as Record<
            LatencyMetric,
            typeof latencyFigures
          >),
        }),
      )
      .describe('Per agent, every metric over the range; most samples first'),
    ...cacheFields,
  }),
  async handler(ctx, input) {
    return ctx.services.analytics.performance(await viewer(ctx), input);
  },
});

const rate = z.number().nullable();

export const analyticsEngagement = defineOp({
  name: 'analytics_engagement',
  group: 'analytics',
  summary:
    'Active agents over time, response rate to requests, acks vs ack_required, time to first response, silent and stale agents',
  description:
    'Rates count messages sent in the range and answered or acked at any time since. Silent: received requests in the range, ' +
    'answered none. Stale (now): offline (presence.offlineAfterSeconds) with unread messages. An agent sees its own project only.',
  access: 'agent',
  http: { method: 'GET', path: '/api/v1/analytics/engagement' },
  annotations: { readOnly: true },
  input: z.strictObject({ ...filters, bucket }),
  output: z.object({
    bucket: z.enum(['minute', 'hour', 'day']),
    active_agents: z.object({
      total: z.number().describe('Distinct agents that sent at least one message in the range'),
      series: z
        .array(
          z.object({ bucket_start: z.string(), agents: z.number().describe('Distinct agents that sent') }),
        )
        .describe('Buckets where someone sent, oldest first'),
    }),
    agents: z
      .array(
        z.object({
          agent_id: z.string(),
          name: z.string().nullable(),
          requests: z.number().describe('Requests it received in the range'),
          answered: z.number().describe('Of those, answered with a type=response reply_to the request'),
          response_rate: rate.describe('answered / requests; null without requests'),
          ack_required: z.number().describe('ack_required messages it received in the range'),
          acked: z.number().describe('Of those, acknowledged'),
          ack_rate: rate.describe('acked / ack_required; null without any'),
          acks: z.number().describe('Acknowledgements it made in the range, required or not'),
        }),
      )
      .describe('Per recipient of requests, ack_required messages or acks'),
    totals: z.object({
      requests: z.number(),
      answered: z.number(),
      response_rate: rate,
      ack_required: z.number(),
      acked: z.number(),
      ack_rate: rate,
      acks: z.number(),
    }),
    time_to_first_response: latencyFigures.describe(METRIC_MEANING.first_response),
    silent: z
      .array(z.object({ agent_id: z.string(), name: z.string().nullable(), requests: z.number() }))
      .describe('Received requests in the range and answered none'),
    stale: z
      .array(
        z.object({
          agent_id: z.string(),
          name: z.string(),
          status: z.string(),
          last_seen_at: z.string(),
          unread: z.number(),
        }),
      )
      .describe('Now: offline agents holding unread messages, most unread first'),
    ...cacheFields,
  }),
  async handler(ctx, input) {
    return ctx.services.analytics.engagement(await viewer(ctx), input);
  },
});

export const analyticsRebuild = defineOp({
  name: 'analytics_rebuild',
  group: 'analytics',
  summary:
    'Rebuild the analytics rollups from the stored log (messages, deliveries, task attempts, instances)',
  description:
    'For a data file older than analytics, or rollups lost. Call figures are not in the log and are kept. Run it on a quiet hub.',
  access: 'admin',
  http: { method: 'POST', path: '/api/v1/analytics/rebuild' },
  annotations: { idempotent: true },
  input: z.strictObject({}),
  output: z.object({ messages: z.number(), task_attempts: z.number(), instances: z.number() }),
  async handler(ctx) {
    return ctx.services.analytics.rebuild();
  },
});

export const analyticsOps = [
  analyticsUsage,
  analyticsHistory,
  analyticsTools,
  analyticsInsights,
  analyticsPerformance,
  analyticsEngagement,
  analyticsRebuild,
] as const;
