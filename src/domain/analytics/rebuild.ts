/**
 * Rebuilds the rollups from the log (messages and deliveries, task attempts, instances), for a data
 * file written before analytics existed or after the rollups were lost. Operation and tool calls are
 * not in the log: their rollups are kept as they are. Meant for a quiet hub: what happens while it
 * runs may be counted twice.
 *
 * The log is read through `readLog`: every scan of one rebuild reads the log as committed when the
 * first scan ran (one snapshot on PostgreSQL, where sequence numbers are not in commit order and a
 * row committing late would otherwise fall between two pages and be skipped). A row committed after
 * that is the live recorders' to count. The rollups it writes, and the fold's memory it reads back
 * (`perfMemory`, what earlier pages wrote), go through the store as usual, outside that snapshot.
 */
import type { LogScans } from '../../store/analytics.js';
import type { DomainDeps } from '../deps.js';
import { minuteOf } from './buckets.js';
import { RollupFold } from './fold.js';
import {
  foldLoggedMessage,
  type LoggedRequest,
  perfFoldFor,
  rebuildTaskAndTurnTimes,
} from './perf-rebuild.js';
import type { ProjectResolver } from './recorder.js';

const PAGE = 5000;

export interface RebuildResult {
  messages: number;
  task_attempts: number;
  instances: number;
}

export async function rebuildRollups(d: DomainDeps, projects: ProjectResolver): Promise<RebuildResult> {
  const a = d.store.analytics;
  await a.clear();
  return a.readLog((log) => rebuildFrom(d, log, projects));
}

async function rebuildFrom(d: DomainDeps, log: LogScans, projects: ProjectResolver): Promise<RebuildResult> {
  const a = d.store.analytics;
  let messages = 0;
  /** Requests seen so far (id → sender, time, recipients): most responses answer one of these. */
  const asked = new Map<string, LoggedRequest>();
  for (let after = 0; ;) {
    const page = await log.scanMessages(after, PAGE);
    if (page.length === 0) break;
    const fold = new RollupFold();
    const perf = await perfFoldFor(d, page);
    for (const m of page) {
      after = m.seq;
      await foldLoggedMessage(perf, m, asked, projects);
      messages++;
      const minute = minuteOf(m.createdAt);
      const recipients = await Promise.all(m.deliveries.map((x) => projects.who(x.agentId)));
      const from = { id: m.from, project: m.project };
      fold.message({ minute, id: m.id, from, type: m.type, threadId: m.threadId, recipients });
      for (const x of m.deliveries) if (x.ackedAt) fold.ack(minuteOf(x.ackedAt), from, x.agentId);
      if (m.type === 'request')
        asked.set(m.id, {
          from: m.from,
          at: m.createdAt,
          to: m.deliveries.map((x) => x.agentId),
          ackRequired: m.ackRequired,
        });
      if (m.type === 'response' && m.replyTo) {
        let q = asked.get(m.replyTo);
        if (!q) {
          const rec = await d.store.getMessage(m.replyTo);
          if (rec) q = { from: rec.from, at: rec.createdAt, to: [], ackRequired: false };
        }
        if (q)
          fold.response(
            minute,
            await projects.who(q.from),
            m.from,
            Date.parse(m.createdAt) - Date.parse(q.at),
          );
      }
    }
    await a.apply(fold.take());
    await a.applyPerf(perf.take());
  }
  const fold = new RollupFold();
  const attempts = await log.scanAttempts();
  await rebuildTaskAndTurnTimes(d, log, attempts, projects);
  for (const t of attempts) {
    const who = { id: t.agentId, project: t.project };
    fold.task(minuteOf(t.claimedAt), who, 'claimed');
    if (t.endedAt && (t.outcome === 'completed' || t.outcome === 'failed'))
      fold.task(minuteOf(t.endedAt), who, t.outcome);
  }
  const instances = await log.scanInstances();
  for (const i of instances) {
    const total = { tokens: i.tokens, costUsd: i.costUsd };
    fold.usageGrew(minuteOf(i.at), await projects.who(i.agentId), i.id, total, total);
  }
  await a.apply(fold.take());
  return { messages, task_attempts: attempts.length, instances: instances.length };
}
