/**
 * The performance and engagement part of a rebuild from the log: the same fold (perf-fold.ts) the
 * live recorder feeds, given each logged message with its deliveries, each task attempt and each
 * instance output event that starts or ends a turn.
 */
import type { LogAttempt, LogMessage, LogScans } from '../../store/analytics.js';
import type { DomainDeps } from '../deps.js';
import type { Who } from './fold.js';
import { PerfFold } from './perf-fold.js';
import type { ProjectResolver } from './recorder.js';
import { TURN_EVENT_KINDS, TurnClock } from './turn-clock.js';

const PAGE = 5000;

/** A request as remembered through the rebuild, for the responses that answer it. */
export interface LoggedRequest {
  from: string;
  at: string;
  to: string[];
  ackRequired: boolean;
}

/** A fold for one page of messages, with the memory of earlier pages for its threads and answers. */
export async function perfFoldFor(d: DomainDeps, page: LogMessage[]): Promise<PerfFold> {
  const threads = [...new Set(page.map((m) => m.threadId))];
  const answered = page
    .filter((m) => m.type === 'response' && m.replyTo)
    .map((m) => ({ requestId: m.replyTo!, agentId: m.from }));
  return new PerfFold(await d.store.analytics.perfMemory(threads, answered));
}

/** Folds one logged message: its send, its answer to a request, and each delivery's read and ack. */
export async function foldLoggedMessage(
  fold: PerfFold,
  m: LogMessage,
  requests: ReadonlyMap<string, LoggedRequest>,
  projects: ProjectResolver,
): Promise<void> {
  const from: Who = { id: m.from, project: m.project };
  const recipients = await Promise.all(m.deliveries.map((x) => projects.who(x.agentId)));
  const q = m.type === 'response' && m.replyTo ? requests.get(m.replyTo) : undefined;
  fold.sent(
    {
      id: m.id,
      at: m.createdAt,
      from: await projects.who(m.from),
      type: m.type,
      threadId: m.threadId,
      ackRequired: m.ackRequired,
      recipients,
    },
    q && {
      id: m.replyTo!,
      from: await projects.who(q.from),
      type: 'request',
      createdAt: q.at,
      recipients: q.to,
      ackRequired: q.ackRequired,
    },
  );
  for (const [i, x] of m.deliveries.entries()) {
    if (x.readAt) fold.read(x.readAt, recipients[i]!, m.createdAt);
    if (x.ackedAt)
      fold.acked(x.ackedAt, recipients[i]!, { from, createdAt: m.createdAt, ackRequired: m.ackRequired });
  }
}

/** Task times from the attempts, and turn times from the instances' output events. */
export async function rebuildTaskAndTurnTimes(
  d: DomainDeps,
  log: LogScans,
  attempts: LogAttempt[],
  projects: ProjectResolver,
): Promise<void> {
  const a = d.store.analytics;
  const fold = new PerfFold({ threads: new Map(), answered: new Set() });
  for (const t of attempts) {
    const who = { id: t.agentId, project: t.project };
    fold.claimed(t.claimedAt, who, t.taskCreatedAt, t.attempt);
    if (t.outcome === 'completed' && t.endedAt) fold.completed(t.endedAt, who, t.claimedAt);
  }
  const clock = new TurnClock();
  for (let after = 0; ;) {
    const page = await log.scanTurnEvents(after, PAGE, TURN_EVENT_KINDS);
    if (page.length === 0) break;
    for (const e of page) {
      after = e.seq;
      const ms = clock.event(e.instanceId, e.kind, Date.parse(e.at));
      if (ms !== undefined) fold.turn(e.at, await projects.who(e.agentId), ms);
    }
  }
  await a.applyPerf(fold.take());
}
