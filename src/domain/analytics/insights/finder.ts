/**
 * Gathers what the insight rules read — rollups over the range, the current backlog, presence,
 * call figures, re-opened tasks and (when wired) the graph's patterns — runs every rule and orders
 * the findings. Scoped like every analytics answer: an agent sees its own project only.
 */
import { iso } from '../../../core/time.js';
import type { AgentService } from '../../agents/service.js';
import type { DomainDeps } from '../../deps.js';
import { callFigures } from '../calls.js';
import type { AnalyticsFilter, Viewer } from '../service.js';
import type { AgentRollup, RollupQuery } from '../../../store/analytics.js';
import {
  type AgentTraffic,
  backlogFindings,
  type ResponderLatency,
  slowResponderFindings,
} from './bottlenecks.js';
import { costFindings } from './cost.js';
import { byUrgency, type Finding } from './finding.js';
import { isolatedFindings } from './isolated.js';
import { type PatternFinding, patternFindings } from './patterns.js';
import { REOPENING, reopeningFindings } from './tasks.js';
import { callFindings } from './tools.js';

/** The graph helper's detect_patterns, wired by the composition root when the graph ops exist. */
export type PatternSource = (
  viewer: Viewer,
  filters: { project?: string; since?: string; until?: string },
) => Promise<PatternFinding[]>;

export interface InsightFilter {
  project?: string;
  since?: string;
  until?: string;
  limit: number;
}

/** The range when `since` is not given. */
export const DEFAULT_RANGE_HOURS = 24;
const MAX_REOPENED = 100;

export class InsightFinder {
  /** Optional: when present, hub-and-spoke, pipeline and bottleneck patterns become findings too. */
  patterns?: PatternSource;

  constructor(
    private readonly d: DomainDeps,
    private readonly agents: AgentService,
    private readonly scope: (viewer: Viewer, f: AnalyticsFilter) => Promise<RollupQuery>,
  ) {}

  /** The range actually read: `since` defaults to DEFAULT_RANGE_HOURS before now. */
  range(f: InsightFilter): { since: string; until: string | null } {
    const now = this.d.clock.now();
    return { since: f.since ?? iso(now - DEFAULT_RANGE_HOURS * 3600_000), until: f.until ?? null };
  }

  async find(viewer: Viewer, f: InsightFilter) {
    const { since, until } = this.range(f);
    const q = await this.scope(viewer, { project: f.project, since, until: until ?? undefined });
    const agentTotals = await this.d.store.analytics.agentTotals(q);
    const findings: Finding[] = [
      ...(await this.agentFindings(q, agentTotals)),
      ...callFindings(callFigures(await this.d.store.analytics.callTotals(q))),
      ...reopeningFindings(await this.reopenedTasks(q.project, since, until)),
    ];
    if (this.patterns) {
      const scoped = { project: q.project, since, until: until ?? undefined };
      // A graph bottleneck is said once (not again when the backlog or slow-responder rule named it),
      // and only for agents that took in work over the range (the backlog itself is current).
      const named = new Set(
        findings.filter((x) => x.kind === 'backlog' || x.kind === 'slow_responder').flatMap((x) => x.agents),
      );
      const busy = new Set(agentTotals.filter((x) => x.received > 0).map((x) => x.agentId));
      findings.push(
        ...patternFindings(await this.patterns(viewer, scoped)).filter(
          (x) => x.kind !== 'bottleneck' || x.agents.some((a) => !named.has(a) && busy.has(a)),
        ),
      );
    }
    findings.sort(byUrgency);
    const counts = { critical: 0, warning: 0, info: 0 };
    for (const x of findings) counts[x.severity]++;
    return { since, until, counts, findings: findings.slice(0, f.limit) };
  }

  /** Backlogs, slow responders, cost outliers and isolated agents: the per-agent rules. */
  private async agentFindings(
    q: RollupQuery,
    agentTotals: Array<Omit<AgentRollup, 'minute'>>,
  ): Promise<Finding[]> {
    const totals = new Map(agentTotals.map((t) => [t.agentId, t]));
    const pairs = await this.d.store.analytics.pairTotals(q);
    const registered = await this.d.store.listAgents({
      project: q.project,
      includeRetired: false,
      withoutMetadata: true,
    });
    const names = new Map(registered.map((a) => [a.id, a.name]));
    const answered = new Map<string, number>();
    const timed = new Map<string, ResponderLatency>();
    for (const p of pairs) {
      answered.set(p.to, (answered.get(p.to) ?? 0) + p.responses + p.acks);
      if (p.latencyCount === 0) continue;
      const r = timed.get(p.to) ?? {
        agent_id: p.to,
        name: names.get(p.to) ?? null,
        responses: 0,
        latency_ms_sum: 0,
      };
      r.responses += p.latencyCount;
      r.latency_ms_sum += p.latencyMsSum;
      timed.set(p.to, r);
    }
    // Only an agent that took in more than it sent can have a growing backlog: count those alone.
    const candidates = registered.filter((a) => {
      const t = totals.get(a.id);
      return t !== undefined && t.received > t.sent;
    });
    const now = this.d.clock.now();
    const unread = await this.d.store.unreadCounts(
      candidates.map((a) => a.id),
      iso(now),
    );
    const traffic: AgentTraffic[] = candidates.map((a) => ({
      agent_id: a.id,
      name: a.name,
      sent: totals.get(a.id)!.sent,
      received: totals.get(a.id)!.received,
      answered: answered.get(a.id) ?? 0,
      unread: unread.get(a.id) ?? 0,
    }));
    const spend = [...totals.values()].map((t) => ({
      agent_id: t.agentId,
      name: names.get(t.agentId) ?? null,
      tokens: t.tokens,
      cost_usd: t.costUsd,
    }));
    const presence = registered.map((a) => ({
      agent_id: a.id,
      name: a.name,
      project: a.project,
      status: this.agents.view(a).status,
      registered_minutes_ago: (now - Date.parse(a.createdAt)) / 60_000,
      sent: totals.get(a.id)?.sent ?? 0,
      received: totals.get(a.id)?.received ?? 0,
    }));
    return [
      ...backlogFindings(traffic),
      ...slowResponderFindings([...timed.values()]),
      ...costFindings(spend),
      ...isolatedFindings(presence),
    ];
  }

  private async reopenedTasks(project: string | undefined, since: string, until: string | null) {
    const rows = await this.d.store.tasks.reopened({
      project,
      since,
      until: until ?? undefined,
      minReopens: REOPENING.min,
      limit: MAX_REOPENED,
    });
    return rows.map((r) => ({
      task_id: r.task.id,
      title: r.task.title,
      status: r.task.status,
      reopens: r.reopens,
      attempts: r.task.attempts,
      max_attempts: r.task.maxAttempts,
      agents: r.agents,
    }));
  }
}
