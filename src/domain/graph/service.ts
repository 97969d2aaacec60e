/**
 * The communication graph service: reads agents, the per-pair and per-agent rollups, unread backlogs
 * and held tasks, builds the graph (build.ts) and answers graph, pattern, route and recommendation
 * queries, each cached for `analytics.cacheSeconds` like the analytics answers. An agent sees its
 * own project only; the admin every project.
 */
import { HubError } from '../../core/errors.js';
import { iso } from '../../core/time.js';
import type { RollupQuery } from '../../store/analytics.js';
import type { AgentRecord } from '../../store/types.js';
import { AnswerCache } from '../analytics/cache.js';
import type { Cached, Viewer } from '../analytics/service.js';
import type { DomainDeps } from '../deps.js';
import type { Services } from '../index.js';
import { buildGraph, type CommGraph, type GraphAgent, type PairTotals, trafficOf } from './build.js';
import { detectPatterns, type PatternFinding } from './patterns.js';
import { recommendAgents } from './recommend.js';
import { findRoute, type RouteTarget } from './route.js';

/** Past this many agents in one graph, ask for a narrower one (betweenness grows with agents × edges). */
export const GRAPH_MAX_AGENTS = 2000;

export interface GraphFilter {
  project?: string;
  since?: string;
  until?: string;
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

export class GraphService {
  private readonly cache: AnswerCache<unknown>;
  private cacheObserver?: (hit: boolean) => void;

  constructor(
    private readonly d: DomainDeps,
    private readonly services: Services,
  ) {
    this.cache = new AnswerCache(
      d.config.analytics.cacheSeconds * 1000,
      () => d.clock.now(),
      (hit) => this.cacheObserver?.(hit),
    );
  }

  /** Told of each cache lookup (metrics). */
  onCache(observer: (hit: boolean) => void): void {
    this.cacheObserver = observer;
  }

  async graph(viewer: Viewer, f: GraphFilter) {
    return this.cached('graph', viewer, f, async () => {
      const g = await this.load(viewer, f);
      let messages = 0;
      g.forEachEdge((_e, a) => (messages += a.messages));
      return {
        nodes: g.mapNodes((id, a) => ({
          agent_id: id,
          name: a.name,
          role: a.role,
          capabilities: a.capabilities,
          status: a.status,
          project: a.project,
          backlog: a.backlog,
          held_tasks: a.heldTasks,
          sent: a.sent,
          received: a.received,
          tasks_claimed: a.tasksClaimed,
          tasks_completed: a.tasksCompleted,
          tasks_failed: a.tasksFailed,
          neighbours: g.neighbors(id).length,
          traffic: trafficOf(g, id),
        })),
        edges: g.mapEdges((_e, a, from, to) => ({
          from,
          to,
          messages: a.messages,
          requests: a.requests,
          responses: a.responses,
          acks: a.acks,
          reliability: a.reliability,
          mean_latency_ms: a.meanLatencyMs,
        })),
        totals: { agents: g.order, edges: g.size, messages },
      };
    });
  }

  async patterns(viewer: Viewer, f: GraphFilter) {
    return this.cached('patterns', viewer, f, async () => ({
      patterns: detectPatterns(await this.load(viewer, f)),
    }));
  }

  /** The findings alone, for other answers (insights) that list them. */
  async findings(viewer: Viewer, f: GraphFilter): Promise<PatternFinding[]> {
    return (await this.patterns(viewer, f)).patterns;
  }

  async route(viewer: Viewer, f: GraphFilter & { from: string; to?: string; capability?: string }) {
    if ((f.to === undefined) === (f.capability === undefined))
      throw new HubError('invalid_input', 'Give either to (an agent id) or capability, not both or neither');
    const target: RouteTarget = f.to !== undefined ? { to: f.to } : { capability: f.capability! };
    return this.cached('route', viewer, f, async () => findRoute(await this.load(viewer, f), f.from, target));
  }

  async recommend(
    viewer: Viewer,
    f: GraphFilter & { capability: string; for_agent?: string; limit: number },
  ) {
    return this.cached('recommend', viewer, f, async () => ({
      capability: f.capability,
      for_agent: f.for_agent ?? null,
      agents: recommendAgents(await this.load(viewer, f), f.capability, f.for_agent, f.limit),
    }));
  }

  /** The graph of the viewer's scope: live agents, and retired ones that still have traffic in it. */
  private async load(viewer: Viewer, f: GraphFilter): Promise<CommGraph> {
    const q = this.query(viewer, f);
    const listed = await this.d.store.listAgents({
      project: q.project,
      withoutMetadata: true,
      limit: GRAPH_MAX_AGENTS + 1,
    });
    const pairs: PairTotals[] = await this.d.store.analytics.pairTotals(q);
    const known = new Set(listed.map((a) => a.id));
    const missing = [...new Set(pairs.flatMap((p) => [p.from, p.to]))].filter((id) => !known.has(id));
    const retired = missing.length
      ? await this.d.store.listAgents({ ids: missing, includeRetired: true, withoutMetadata: true })
      : [];
    const records = [...listed, ...retired.filter((a) => q.project === undefined || a.project === q.project)];
    if (records.length > GRAPH_MAX_AGENTS)
      throw new HubError(
        'payload_too_large',
        `The graph would have more than ${GRAPH_MAX_AGENTS} agents; narrow it with project`,
      );
    const ids = records.map((a) => a.id);
    const [totals, backlog, held] = await Promise.all([
      this.d.store.analytics.agentTotals({ ...q, agentIds: ids }),
      this.d.store.unreadCounts(ids, iso(this.d.clock.now())),
      this.d.store.tasks.activeCounts(ids),
    ]);
    const byId = new Map(totals.map((t) => [t.agentId, t]));
    return buildGraph(
      records.map((a) => this.agentOf(a, byId.get(a.id), backlog.get(a.id) ?? 0, held.get(a.id) ?? 0)),
      pairs,
    );
  }

  private agentOf(
    a: AgentRecord,
    t:
      | { sent: number; received: number; tasksClaimed: number; tasksCompleted: number; tasksFailed: number }
      | undefined,
    backlog: number,
    heldTasks: number,
  ): GraphAgent {
    return {
      id: a.id,
      name: a.name,
      role: a.role,
      capabilities: a.capabilities,
      status: this.services.agents.view(a).status,
      project: a.project,
      backlog,
      heldTasks,
      sent: t?.sent ?? 0,
      received: t?.received ?? 0,
      tasksClaimed: t?.tasksClaimed ?? 0,
      tasksCompleted: t?.tasksCompleted ?? 0,
      tasksFailed: t?.tasksFailed ?? 0,
    };
  }

  private query(viewer: Viewer, f: GraphFilter): RollupQuery {
    if (viewer && f.project !== undefined && f.project !== viewer.project)
      throw new HubError(
        'forbidden',
        `An agent sees the graph of its own project (${viewer.project}) only; leave project out or ask the admin`,
      );
    const q: RollupQuery = { project: viewer ? viewer.project : f.project };
    if (f.since) q.sinceMinute = Math.floor(Date.parse(f.since) / 60_000);
    if (f.until) q.untilMinute = Math.ceil(Date.parse(f.until) / 60_000);
    return q;
  }

  private async cached<T>(
    what: string,
    viewer: Viewer,
    f: object,
    compute: () => Promise<T>,
  ): Promise<Cached<T>> {
    const key = JSON.stringify([what, viewer?.project ?? null, Object.entries(f).sort()]);
    const r = await this.cache.get(key, async () => {
      await this.services.analytics.recorder.flush();
      return compute();
    });
    return { ...(r.value as T), cached: r.cached, age_seconds: round(r.ageMs / 1000) };
  }
}
