/** Operations on agents: register, identity, presence, discovery, retirement. */
import { z } from 'zod';
import { HubError } from '../core/errors.js';
import { listingProject } from '../domain/agents/directory.js';
import { AGENT_LIMITS as L } from '../domain/agents/limits.js';
import { actingAgent } from './acting.js';
import { agentStatus, agentSummary, agentView } from '../core/wire/index.js';
import { actingAgentId, idString } from './schemas.js';
import { defineOp } from './types.js';

const capability = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/,
    `a capability is 1-${L.capabilityLength} letters, digits, ".", "_", ":", "/" or "-"`,
  );

/** A free-form text field with its limit named in the error. */
const text = (max: number) => z.string().max(max, `at most ${max} characters`);

const peer = z.object({ agent_id: z.string(), name: z.string(), status: agentStatus });

export const registerAgent = defineOp({
  name: 'register_agent',
  group: 'agents',
  summary: 'Register an agent (or update your own registration) and get its token',
  description:
    'Returns the agent token once. Over a 2025-era MCP session the session becomes this agent and no token is returned. ' +
    'Re-registering an existing agent_id needs that agent’s token and keeps it unless rotate_token is true.',
  access: 'public',
  http: { method: 'POST', path: '/api/v1/agents/register' },
  input: z.strictObject({
    agent_id: idString
      .optional()
      .describe(
        'Choose your id (letters, digits, . _ -; not ALL or anything else that reads as an address); generated from the name if left out',
      ),
    session_id: text(L.sessionIdLength)
      .optional()
      .describe('Your client session id, e.g. the Claude Code session'),
    name: text(L.nameLength).min(1),
    capabilities: z
      .array(capability)
      .max(L.capabilities, `at most ${L.capabilities} capabilities`)
      .optional(),
    role: text(L.roleLength).min(1).optional(),
    description: text(L.descriptionLength).optional().describe('Listings show its first 200 characters'),
    metadata: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('Free-form JSON, at most agents.maxMetadataBytes (16 KiB) as JSON; only get_agent shows it'),
    project: text(L.projectLength)
      .min(1)
      .optional()
      .describe('Agents see and broadcast within their project (default "default")'),
    rotate_token: z
      .boolean()
      .optional()
      .describe('When re-registering: issue a new token, the old one stops working'),
  }),
  output: z.object({
    success: z.literal(true),
    agent_id: z.string(),
    token: z.string().optional().describe('Shown once; send as Authorization: Bearer <token>'),
    websocket_url: z.string(),
    created: z.boolean(),
    agent: agentView,
    peers: z.array(peer).describe('Other agents of your project (the first 100; list_agents shows all)'),
    session_bound: z.boolean().optional(),
  }),
  async handler(ctx, input) {
    const result = await ctx.services.agents.register(input, ctx.caller, ctx.bearerToken);
    const out = {
      success: true as const,
      agent_id: result.agent.agent_id,
      token: result.token,
      websocket_url: `/ws/${result.agent.agent_id}`,
      created: result.created,
      agent: result.agent,
      peers: result.peers,
    };
    if (ctx.session) {
      ctx.session.bind(result.agent.agent_id);
      const { token: _hidden, ...rest } = out;
      return { ...rest, session_bound: true };
    }
    return out;
  },
});

export const whoami = defineOp({
  name: 'whoami',
  group: 'agents',
  summary: 'The agent this connection acts as',
  access: 'agent',
  http: { method: 'GET', path: '/api/v1/agents/me' },
  annotations: { readOnly: true },
  input: z.strictObject({ agent_id: actingAgentId }),
  output: z.object({ agent: agentView, topics: z.array(z.string()) }),
  async handler(ctx, input) {
    const me = await actingAgent(ctx, input.agent_id);
    return { agent: ctx.services.agents.view(me), topics: await ctx.services.messages.topics(me.id) };
  },
});

export const listAgents = defineOp({
  name: 'list_agents',
  group: 'agents',
  summary: 'List agents, filtered by capability, status, project or role, a page at a time',
  description:
    'Entries leave metadata out and cut descriptions to 200 characters; get_agent shows one agent in full. ' +
    '`total` counts every match; for the next page, pass `offset` plus the entries you got. ' +
    'An agent token sees its own project only (naming another is forbidden).',
  access: 'public',
  http: { method: 'GET', path: '/api/v1/agents' },
  annotations: { readOnly: true },
  input: z.strictObject({
    capability: z.string().max(64).optional().describe('Only agents that have this capability'),
    status: agentStatus.optional(),
    project: z
      .string()
      .max(128)
      .optional()
      .describe('Only this project; an agent sees its own project only (the default for it)'),
    role: z.string().max(64).optional(),
    include_retired: z.boolean().optional(),
    limit: z
      .number()
      .int()
      .min(1)
      .max(L.maxPage, `at most ${L.maxPage} agents per page`)
      .optional()
      .describe(`Agents per page (1-${L.maxPage}, default ${L.defaultPage})`),
    offset: z.number().int().min(0).optional().describe('Skip this many matches (default 0)'),
  }),
  output: z.object({ agents: z.array(agentSummary), total: z.number().int() }),
  async handler(ctx, input) {
    const { limit, offset, ...query } = input;
    const view = await ctx.services.agents.directoryView(ctx.caller);
    return ctx.services.agents.page(
      { ...query, project: listingProject(view, query.project) },
      limit,
      offset,
    );
  },
});

export const getAgent = defineOp({
  name: 'get_agent',
  group: 'agents',
  summary: 'One agent by id',
  description:
    'An agent token sees the agents of its own project only; another project’s agent is not_found.',
  access: 'public',
  http: { method: 'GET', path: '/api/v1/agents/:agent_id' },
  annotations: { readOnly: true },
  input: z.strictObject({ agent_id: idString }),
  output: z.object({ agent: agentView }),
  async handler(ctx, input) {
    return { agent: await ctx.services.agents.getFor(ctx.caller, input.agent_id) };
  },
});

export const heartbeat = defineOp({
  name: 'heartbeat',
  group: 'agents',
  summary: 'Report presence, optionally with a status (active, busy, idle)',
  access: 'agent',
  http: { method: 'POST', path: '/api/v1/agents/:agent_id/heartbeat' },
  annotations: { idempotent: true },
  input: z.strictObject({
    agent_id: actingAgentId,
    status: z.enum(['active', 'busy', 'idle']).optional(),
  }),
  output: z.object({ success: z.literal(true), agent: agentView }),
  async handler(ctx, input) {
    const me = await actingAgent(ctx, input.agent_id);
    return { success: true as const, agent: await ctx.services.agents.heartbeat(me.id, input.status) };
  },
});

export const retireAgent = defineOp({
  name: 'retire_agent',
  group: 'agents',
  summary: 'Retire an agent: it leaves broadcasts and discovery; it may register again later',
  access: 'agent',
  http: { method: 'DELETE', path: '/api/v1/agents/:agent_id' },
  annotations: { destructive: true, idempotent: true },
  input: z.strictObject({ agent_id: idString, reason: z.string().max(500).optional() }),
  output: z.object({ success: z.literal(true), agent: agentView }),
  async handler(ctx, input) {
    if (ctx.caller.kind === 'anonymous') throw new HubError('unauthorized', 'retire_agent needs a token');
    return {
      success: true as const,
      agent: await ctx.services.agents.retire(input.agent_id, ctx.caller, input.reason),
    };
  },
});

export const agentOps = [registerAgent, whoami, listAgents, getAgent, heartbeat, retireAgent] as const;
