/**
 * Bottlenecks: an agent whose unread backlog piles up (it takes in more than it puts out over the
 * range and its inbox holds at least BACKLOG.min unread messages), and an agent whose responses are far
 * slower than its peers' (mean response latency against the median of the other responders' means).
 */
import { type Finding, label, median, round } from './finding.js';

export const BACKLOG = {
  /** Unread messages before an inbox counts as a backlog. */
  min: 5,
  /** From this many unread messages the finding is critical. */
  critical: 50,
};

export const SLOW = {
  /** The responder's mean is at least this many times the peers' median… */
  factor: 3,
  /** …and at least this many milliseconds above it (tiny latencies are noise). */
  minGapMs: 1000,
  /** Critical from this factor on. */
  criticalFactor: 10,
  /** Peers needed for a comparison. */
  minPeers: 2,
};

export interface AgentTraffic {
  agent_id: string;
  name: string | null;
  /** Over the range. */
  sent: number;
  received: number;
  /** Responses and acks the agent gave over the range. */
  answered: number;
  /** Unread, unexpired messages in its inbox now. */
  unread: number;
}

export function backlogFindings(agents: readonly AgentTraffic[]): Finding[] {
  return agents
    .filter((a) => a.unread >= BACKLOG.min && a.received > a.sent)
    .map((a) => ({
      kind: 'backlog',
      severity: a.unread >= BACKLOG.critical ? 'critical' : 'warning',
      title: `${label(a)} has ${a.unread} unread messages and takes in more than it sends`,
      agents: [a.agent_id],
      evidence: { unread: a.unread, received: a.received, sent: a.sent, answered: a.answered },
      action:
        'Check that the agent reads its inbox (check_inbox / wait_for_messages) and is not stuck; ' +
        'spread its work to peers with the same capability or give it fewer subscriptions.',
    }));
}

export interface ResponderLatency {
  agent_id: string;
  name: string | null;
  /** Responses with a known latency over the range, and their summed latency. */
  responses: number;
  latency_ms_sum: number;
}

export function slowResponderFindings(responders: readonly ResponderLatency[]): Finding[] {
  const timed = responders
    .filter((r) => r.responses > 0)
    .map((r) => ({ ...r, mean: r.latency_ms_sum / r.responses }));
  const out: Finding[] = [];
  for (const r of timed) {
    const peers = timed.filter((p) => p.agent_id !== r.agent_id);
    if (peers.length < SLOW.minPeers) continue;
    const peersMedian = median(peers.map((p) => p.mean))!;
    if (r.mean < SLOW.factor * peersMedian || r.mean - peersMedian < SLOW.minGapMs) continue;
    const times = peersMedian > 0 ? r.mean / peersMedian : null;
    out.push({
      kind: 'slow_responder',
      severity: times === null || times >= SLOW.criticalFactor ? 'critical' : 'warning',
      title:
        `${label(r)} answers in ${round(r.mean / 1000, 1)} s on average, ` +
        `against ${round(peersMedian / 1000, 1)} s for its peers`,
      agents: [r.agent_id],
      evidence: {
        mean_response_ms: round(r.mean, 1),
        peers_median_ms: round(peersMedian, 1),
        responses: r.responses,
        peers: peers.length,
      },
      action:
        'Look at what the agent does between a request and its answer (a long task, a slow model, ' +
        'a full inbox); route time-critical requests to a faster peer (recommend_agents).',
    });
  }
  return out;
}
