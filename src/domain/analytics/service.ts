/**
 * Analytics: usage, conversation history and call figures read from rollups kept up to date as things
 * happen (recorder.ts), answers cached for `analytics.cacheSeconds`. An agent sees its own project only.
 */
import { HubError } from '../../core/errors.js';
import { iso } from '../../core/time.js';
import type { RollupQuery } from '../../store/analytics.js';
import type { DomainDeps } from '../deps.js';
import type { Services } from '../index.js';
import { type BucketSize, MINUTES_PER, minuteIso } from './buckets.js';
import { AnswerCache } from './cache.js';
import { callFigures } from './calls.js';
import { type InsightFilter, InsightFinder } from './insights/finder.js';
import { engagementFigures } from './engagement.js';
import { performanceFigures } from './performance.js';
import { rebuildRollups, type RebuildResult } from './rebuild.js';
import { AnalyticsRecorder, ProjectResolver } from './recorder.js';

export interface AnalyticsFilter {
  project?: string;
  agent_id?: string;
  capability?: string;
  role?: string;
  since?: string;
  until?: string;
}

/** Who asks: the admin (null) or an agent's project. */
export type Viewer = { project: string } | null;

export type Cached<T> = T & { cached: boolean; age_seconds: number };

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const round = (x: number, digits = 6) => Math.round(x * 10 ** digits) / 10 ** digits;

export class AnalyticsService {
  readonly recorder: AnalyticsRecorder;
  /** The insight rules' inputs; `finder.patterns` is the optional graph pattern source. */
  readonly finder: InsightFinder;
  private readonly projects: ProjectResolver;
  private readonly cache: AnswerCache<unknown>;
  private cacheObserver?: (hit: boolean) => void;
  private rebuilding = false;

  constructor(
    private readonly d: DomainDeps,
    private readonly services: Services,
  ) {
    this.recorder = new AnalyticsRecorder(d);
    this.projects = new ProjectResolver(d);
    this.cache = new AnswerCache(
      d.config.analytics.cacheSeconds * 1000,
      () => d.clock.now(),
      (hit) => this.cacheObserver?.(hit),
    );
    this.finder = new InsightFinder(d, services.agents, (viewer, f) => this.query(viewer, f));
    services.messages.onRead((agentId, cursors, at) => this.recorder.read(agentId, cursors, at));
    services.gateway.onCall((r) =>
      this.recorder.tool(`${r.server}__${r.tool}`, r.seconds, r.errorType !== null),
    );
  }

  /** Told of each cache lookup (metrics). */
  onCache(observer: (hit: boolean) => void): void {
    this.cacheObserver = observer;
  }

  async usage(viewer: Viewer, f: AnalyticsFilter) {
    return this.cached('usage', viewer, f, async () => {
      const q = await this.query(viewer, f);
      const totals = await this.d.store.analytics.agentTotals(q);
      const agents = await this.d.store.listAgents({
        ids: totals.map((t) => t.agentId),
        includeRetired: true,
        withoutMetadata: true,
      });
      const byId = new Map(agents.map((a) => [a.id, a]));
      const unread = await this.d.store.unreadCounts(
        totals.map((t) => t.agentId),
        this.now(),
      );
      const rows = totals.map((t) => {
        const a = byId.get(t.agentId);
        return {
          agent_id: t.agentId,
          name: a?.name ?? null,
          role: a?.role ?? null,
          capabilities: a?.capabilities ?? [],
          project: t.project,
          sent: t.sent,
          received: t.received,
          tasks_claimed: t.tasksClaimed,
          tasks_completed: t.tasksCompleted,
          tasks_failed: t.tasksFailed,
          tokens: t.tokens,
          cost_usd: round(t.costUsd),
          unread: unread.get(t.agentId) ?? 0,
        };
      });
      type Row = (typeof rows)[number];
      const group = (keyOf: (r: Row) => string[]) => {
        const groups = new Map<string, Row[]>();
        for (const r of rows) for (const k of keyOf(r)) groups.set(k, [...(groups.get(k) ?? []), r]);
        return [...groups.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([key, rs]) => ({ key, agents: rs.length, ...this.add(rs) }));
      };
      return {
        agents: rows,
        by_role: group((r) => [r.role ?? '(none)']).map(({ key, ...r }) => ({ role: key, ...r })),
        by_capability: group((r) => r.capabilities).map(({ key, ...r }) => ({ capability: key, ...r })),
        totals: { agents: rows.length, ...this.add(rows) },
      };
    });
  }

  async history(viewer: Viewer, f: AnalyticsFilter & { bucket: BucketSize; threads_limit: number }) {
    return this.cached('history', viewer, f, async () => {
      const q = await this.query(viewer, f);
      const h = await this.d.store.analytics.historySeries(q, MINUTES_PER[f.bucket]);
      const byBucket = new Map<number, Record<string, number>>();
      const allTypes: Record<string, number> = {};
      for (const r of h.byType) {
        const t = byBucket.get(r.bucket) ?? {};
        t[r.type] = r.messages;
        byBucket.set(r.bucket, t);
        allTypes[r.type] = (allTypes[r.type] ?? 0) + r.messages;
      }
      const series = h.buckets.map((b) => {
        const byType = byBucket.get(b.bucket) ?? {};
        return {
          bucket_start: minuteIso(b.bucket),
          messages: sum(Object.values(byType)),
          threads: b.threads,
          participants: b.participants,
          by_type: byType,
        };
      });
      const threads = await this.d.store.analytics.topThreads(q, f.threads_limit);
      return {
        bucket: f.bucket,
        series,
        totals: { messages: sum(Object.values(allTypes)), ...h.totals, by_type: allTypes },
        threads: threads.map((t) => ({
          thread_id: t.threadId,
          messages: t.messages,
          participants: t.participants,
          first_minute: minuteIso(t.firstMinute),
          last_minute: minuteIso(t.lastMinute),
        })),
      };
    });
  }

  async tools(viewer: Viewer, f: Omit<AnalyticsFilter, 'agent_id' | 'role' | 'capability'>) {
    return this.cached('tools', viewer, f, async () => {
      const q = await this.query(viewer, f);
      return callFigures(await this.d.store.analytics.callTotals(q));
    });
  }

  /** Findings a person should act on (insights/), most severe first. */
  async insights(viewer: Viewer, f: InsightFilter) {
    return this.cached('insights', viewer, f, () => this.finder.find(viewer, f));
  }

  /** Delivery, ack, response, task and turn times: percentiles over the range and a series. */
  async performance(viewer: Viewer, f: AnalyticsFilter & { bucket: BucketSize; agents_limit: number }) {
    return this.cached('performance', viewer, f, async () =>
      performanceFigures(this.d.store.analytics, await this.query(viewer, f), f.bucket, f.agents_limit),
    );
  }

  /** Active agents, response and ack rates, time to first response, silent and stale agents. */
  async engagement(viewer: Viewer, f: AnalyticsFilter & { bucket: BucketSize }) {
    return this.cached('engagement', viewer, f, async () =>
      engagementFigures(this.d, this.services, await this.query(viewer, f), f.bucket, {
        project: viewer ? viewer.project : f.project,
        role: f.role,
        capability: f.capability,
        agentId: f.agent_id,
      }),
    );
  }

  /** Rebuilds the rollups from the log; cached answers are dropped. */
  async rebuild(): Promise<RebuildResult> {
    this.requireEnabled();
    if (this.rebuilding)
      throw new HubError('conflict', 'An analytics rebuild is running already; wait for it to end');
    this.rebuilding = true;
    try {
      await this.recorder.flush();
      this.recorder.discardLogged();
      return await rebuildRollups(this.d, this.projects);
    } finally {
      this.rebuilding = false;
      this.cache.clear();
    }
  }

  async shutdown(): Promise<void> {
    await this.recorder.shutdown();
  }

  private add(
    rs: Array<{
      sent: number;
      received: number;
      tasks_claimed: number;
      tasks_completed: number;
      tasks_failed: number;
      tokens: number;
      cost_usd: number;
      unread: number;
    }>,
  ) {
    return {
      sent: sum(rs.map((r) => r.sent)),
      received: sum(rs.map((r) => r.received)),
      tasks_claimed: sum(rs.map((r) => r.tasks_claimed)),
      tasks_completed: sum(rs.map((r) => r.tasks_completed)),
      tasks_failed: sum(rs.map((r) => r.tasks_failed)),
      tokens: sum(rs.map((r) => r.tokens)),
      cost_usd: round(sum(rs.map((r) => r.cost_usd))),
      unread: sum(rs.map((r) => r.unread)),
    };
  }

  private async cached<T>(
    what: string,
    viewer: Viewer,
    f: object,
    compute: () => Promise<T>,
  ): Promise<Cached<T>> {
    this.requireEnabled();
    const key = JSON.stringify([what, viewer?.project ?? null, Object.entries(f).sort()]);
    const r = await this.cache.get(key, async () => {
      await this.recorder.flush();
      return compute();
    });
    return { ...(r.value as T), cached: r.cached, age_seconds: round(r.ageMs / 1000, 3) };
  }

  /** Refuses when the hub keeps no rollups (config `analytics.enabled` false). */
  private requireEnabled(): void {
    if (!this.d.config.analytics.enabled)
      throw new HubError(
        'unavailable',
        'Analytics are disabled on this hub (config analytics.enabled is false): no rollups are kept. ' +
          'Set analytics.enabled to true, restart the hub, then run `switchboard analytics rebuild` to count the stored log',
      );
  }

  /** The filters as a rollup query, limited to the viewer's project. */
  private async query(viewer: Viewer, f: AnalyticsFilter): Promise<RollupQuery> {
    if (viewer && f.project !== undefined && f.project !== viewer.project)
      throw new HubError(
        'forbidden',
        `An agent sees the analytics of its own project (${viewer.project}) only; leave project out or ask the admin`,
      );
    const project = viewer ? viewer.project : f.project;
    const q: RollupQuery = { project };
    if (f.since) q.sinceMinute = Math.floor(Date.parse(f.since) / 60_000);
    if (f.until) q.untilMinute = Math.ceil(Date.parse(f.until) / 60_000);
    if (f.agent_id !== undefined || f.role !== undefined || f.capability !== undefined) {
      const agents = await this.d.store.listAgents({
        project,
        role: f.role,
        capability: f.capability,
        ids: f.agent_id !== undefined ? [f.agent_id] : undefined,
        includeRetired: true,
        withoutMetadata: true,
      });
      q.agentIds = agents.map((a) => a.id);
    }
    return q;
  }

  /** Now, for answers that name it. */
  now(): string {
    return iso(this.d.clock.now());
  }
}
