/** Operations about the hub itself: its status, and the nodes of a cluster. */
import { z } from 'zod';
import type { NodeInfo } from '../domain/nodes/service.js';
import { defineOp } from './types.js';

/** A listed node as anyone may see it (`hub_status`, `/health`): no host name or process id. */
export const nodeSummary = z.object({
  node_id: z.string(),
  url: z.string().nullable().describe('Its base URL once it listens'),
  state: z
    .enum(['live', 'left'])
    .describe('live: beating; left: closed on purpose, resumes its instances when it starts again'),
  started_at: z.string(),
  heartbeat_at: z.string(),
  left_at: z.string().nullable().describe('When it closed on purpose (left nodes)'),
  self: z.boolean().describe('The node that answered'),
});

export const summarizeNode = (n: NodeInfo): z.infer<typeof nodeSummary> => ({
  node_id: n.id,
  url: n.url,
  state: n.state,
  started_at: n.startedAt,
  heartbeat_at: n.heartbeatAt,
  left_at: n.leftAt,
  self: n.self,
});

const nodeView = nodeSummary.extend({
  host: z.string(),
  pid: z.number(),
  version: z.string(),
  store: z.enum(['sqlite', 'postgres']),
});

export const hubStatus = defineOp({
  name: 'hub_status',
  group: 'system',
  summary: 'The hub’s version, uptime, agents by status, live connections, store and nodes',
  description:
    'Agent counts are of the caller’s own project for an agent token, of every project for the admin, ' +
    'and left out ({}) for a caller without a token when auth.anonymousDirectory is off. ' +
    'store: sqlite (one node) or postgres (cluster); node_id: the node that answered; nodes: the live ones, ' +
    'then those that left on purpose (state left).',
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
    store: z.enum(['sqlite', 'postgres']),
    node_id: z.string(),
    nodes: z.array(nodeSummary).describe('The live nodes sharing this hub’s database, then the left ones'),
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
      store: info.nodes.store,
      node_id: info.nodes.id,
      nodes: (await info.nodes.list()).map(summarizeNode),
    };
  },
});

export const listNodes = defineOp({
  name: 'list_nodes',
  group: 'system',
  summary: 'The hub nodes sharing this hub’s database (live and left), with host, process and version',
  description:
    'A node is live while its heartbeat (every 5 s) is under 15 s old. One that closes on purpose is listed ' +
    'as left at once and resumes its suspended instances when it starts again; one that dies is not listed. ' +
    'On SQLite the hub is one node: this one.',
  access: 'admin',
  http: { method: 'GET', path: '/api/v1/nodes' },
  annotations: { readOnly: true },
  input: z.strictObject({}),
  output: z.object({
    store: z.enum(['sqlite', 'postgres']),
    node_id: z.string().describe('The node that answered'),
    nodes: z.array(nodeView),
  }),
  async handler(ctx) {
    const { nodes } = ctx.services.info;
    return {
      store: nodes.store,
      node_id: nodes.id,
      nodes: (await nodes.list()).map((n) => ({
        ...summarizeNode(n),
        host: n.host,
        pid: n.pid,
        version: n.version,
        store: n.store,
      })),
    };
  },
});

export const systemOps = [hubStatus, listNodes] as const;
