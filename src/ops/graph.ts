/** Communication graph operations: the graph, its patterns, the most reliable route, who to ask. */
import { z } from 'zod';
import { viewer } from './analytics.js';
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
  since: time.optional().describe('Traffic from this ISO-8601 time (minute granularity)'),
  until: time.optional().describe('Traffic up to this ISO-8601 time (exclusive)'),
};

const cacheFields = {
  cached: z.boolean().describe('Served from the cache (analytics.cacheSeconds)'),
  age_seconds: z.number().describe('How old the answer is'),
};

const reliability = z
  .number()
  .nullable()
  .describe('Answered requests / requests on this edge (capped at 1); null when it carried no requests');

const node = z.object({
  agent_id: z.string(),
  name: z.string(),
  role: z.string().nullable(),
  capabilities: z.array(z.string()),
  status: z.string(),
  project: z.string(),
  backlog: z.number().describe('Unread, unexpired messages in its inbox now'),
  held_tasks: z.number().describe('Tasks it holds now'),
  sent: z.number(),
  received: z.number(),
  tasks_claimed: z.number(),
  tasks_completed: z.number(),
  tasks_failed: z.number(),
  neighbours: z.number().describe('Agents it exchanged messages with, either way'),
  traffic: z.number().describe('Messages on its edges, either way'),
});

const edge = z.object({
  from: z.string(),
  to: z.string(),
  messages: z.number(),
  requests: z.number(),
  responses: z.number().describe('Responses the receiver gave to the sender'),
  acks: z.number().describe('Messages of the sender the receiver acknowledged'),
  reliability,
  mean_latency_ms: z.number().nullable().describe('Mean time from a message to its response'),
});

const finding = z.object({
  kind: z.enum(['hub', 'pipeline', 'bottleneck', 'community', 'isolated']),
  agents: z.array(z.string()),
  figures: z.record(z.string(), z.number()),
  summary: z.string(),
});

const hop = edge.omit({ to: true }).extend({ to: z.string() });

export const getCommunicationGraph = defineOp({
  name: 'get_communication_graph',
  group: 'analytics',
  summary: 'Who talks to whom: agents as nodes, sender → recipient edges with counts, reliability, latency',
  description:
    'From the rollups. Reliability of an edge = answered requests / requests (acks are counted but not part ' +
    'of it: which messages asked for one is not rolled up). An agent sees its own project only.',
  access: 'agent',
  http: { method: 'GET', path: '/api/v1/graph' },
  annotations: { readOnly: true },
  input: z.strictObject(filters),
  output: z.object({
    nodes: z.array(node),
    edges: z.array(edge),
    totals: z.object({ agents: z.number(), edges: z.number(), messages: z.number() }),
    ...cacheFields,
  }),
  async handler(ctx, input) {
    return ctx.services.graph.graph(await viewer(ctx), input);
  },
});

export const detectPatterns = defineOp({
  name: 'detect_patterns',
  group: 'analytics',
  summary: 'Hub-and-spoke, pipelines, bottlenecks, communities and isolated agents in the graph',
  description:
    'Each finding names the agents involved (a pipeline in order) and the figures that show it: traffic ' +
    'share, betweenness, backlog and unanswered requests, Louvain communities. An agent sees its own project.',
  access: 'agent',
  http: { method: 'GET', path: '/api/v1/graph/patterns' },
  annotations: { readOnly: true },
  input: z.strictObject(filters),
  output: z.object({ patterns: z.array(finding), ...cacheFields }),
  async handler(ctx, input) {
    return ctx.services.graph.patterns(await viewer(ctx), input);
  },
});

export const findRoute = defineOp({
  name: 'find_route',
  group: 'analytics',
  summary: 'The most reliable path from one agent to another, or to any agent with a capability',
  description:
    'Shortest path on weight -ln(reliability) per edge, so the product of the hops’ reliabilities is ' +
    'highest. Edges never answered are not used; edges without requests count as 0.5. Give to or capability.',
  access: 'agent',
  http: { method: 'GET', path: '/api/v1/graph/route' },
  annotations: { readOnly: true },
  input: z.strictObject({
    from: idString.describe('Where the route starts'),
    to: idString.optional().describe('The agent to reach'),
    capability: z
      .string()
      .min(1)
      .max(128)
      .optional()
      .describe('Reach the best agent that has this capability'),
    ...filters,
  }),
  output: z.object({
    from: z.string(),
    to: z.string(),
    path: z.array(z.string()),
    hops: z.array(hop),
    reliability: z.number().describe('Product of the hops’ reliabilities'),
    latency_ms: z.number().nullable().describe('Sum of the hops’ mean latencies, where known'),
    ...cacheFields,
  }),
  async handler(ctx, input) {
    return ctx.services.graph.route(await viewer(ctx), input);
  },
});

export const recommendAgents = defineOp({
  name: 'recommend_agents',
  group: 'analytics',
  summary: 'Agents with a capability, ranked by task success, response time, load, presence and closeness',
  description:
    'Score = 0.3 success + 0.15 response + 0.2 load + 0.25 presence + 0.1 closeness to for_agent (each 0–1), ' +
    'with the reason for each rank. Retired agents are left out. An agent sees its own project only.',
  access: 'agent',
  http: { method: 'GET', path: '/api/v1/graph/recommend' },
  annotations: { readOnly: true },
  input: z.strictObject({
    capability: z.string().min(1).max(128).describe('The capability needed'),
    for_agent: idString.optional().describe('Rank closer agents (fewer hops in the graph) higher'),
    limit: z.number().int().min(1).max(100).default(10).describe('At most this many; default 10'),
    ...filters,
  }),
  output: z.object({
    capability: z.string(),
    for_agent: z.string().nullable(),
    agents: z.array(
      z.object({
        rank: z.number(),
        agent_id: z.string(),
        name: z.string(),
        status: z.string(),
        score: z.number(),
        success_rate: z.number().nullable(),
        tasks_completed: z.number(),
        tasks_failed: z.number(),
        mean_response_ms: z.number().nullable(),
        backlog: z.number(),
        held_tasks: z.number(),
        hops: z.number().nullable(),
        parts: z.object({
          success: z.number(),
          response: z.number(),
          load: z.number(),
          presence: z.number(),
          closeness: z.number(),
        }),
        reason: z.string(),
      }),
    ),
    ...cacheFields,
  }),
  async handler(ctx, input) {
    return ctx.services.graph.recommend(await viewer(ctx), input);
  },
});

export const graphOps = [getCommunicationGraph, detectPatterns, findRoute, recommendAgents] as const;
