/**
 * Keeps the performance and engagement rollups up to date as things happen: sends, reads (a hook on
 * the message service), acks, task claims and completions, and instance turns, queued as small records
 * and folded (perf-fold.ts) when the analytics recorder flushes. What the events do not carry (the
 * message an answer or ack refers to, when a delivery was read, the fold's memory) is looked up per
 * batch.
 */
import type { HubEvent } from '../../bus/events.js';
import type { MessageRecord } from '../../store/types.js';
import type { DomainDeps } from '../deps.js';
import { type SentFact, sentFact } from './sent-fact.js';
import { FLUSH_SLICE } from './flush-slice.js';
import { answeredKey, type OriginalMessage, PerfFold } from './perf-fold.js';
import type { ProjectResolver } from './recorder.js';
import { TurnClock } from './turn-clock.js';

type Pending =
  | SentFact
  | { k: 'read'; at: string; agentId: string; cursors: number[] }
  | { k: 'ack'; at: string; by: string; messageId: string }
  | { k: 'claimed'; at: string; agentId: string; project: string; createdAt: string; attempt: number }
  | { k: 'completed'; at: string; agentId: string; project: string; claimedAt: string }
  | { k: 'turn'; at: string; instanceId: string; kind: string };

const TURN_KINDS = new Set(['user', 'result', 'exit', 'restart']);
/** Deliveries counted as read lately: a read seen twice (inbox read and ack in one millisecond) counts once. */
const RECENT_READS = 50_000;

/** A delivery in one agent's inbox (cursors are per inbox on PostgreSQL, so the agent is part of the key). */
const readKey = (agentId: string, cursor: number) => `${agentId}\u0000${cursor}`;

export class PerfRecorder {
  private pending: Pending[] = [];
  private readonly turns = new TurnClock();
  private readonly instanceAgents = new Map<string, string>();
  /** Reads counted lately, as `agentId \u0000 cursor` (a cursor is a position in one agent's inbox). */
  private recentReads = new Set<string>();

  constructor(
    private readonly d: DomainDeps,
    private readonly projects: ProjectResolver,
    private readonly push: (n: number) => void,
  ) {}

  get size(): number {
    return this.pending.length;
  }

  /** `agentId` marked these deliveries read at `at` (some may have been read already). */
  read(agentId: string, cursors: number[], at: string): void {
    if (cursors.length > 0) this.add({ k: 'read', at, agentId, cursors });
  }

  /** A sent message (the analytics recorder shares its record with this one). */
  sent(fact: SentFact): void {
    this.add(fact);
  }

  onEvent(e: HubEvent): void {
    switch (e.type) {
      case 'message.sent':
        this.add(sentFact(e));
        break;
      case 'ack':
        this.add({ k: 'ack', at: e.at, by: e.by, messageId: e.message_id });
        break;
      case 'task.claimed':
        if (e.task.assignee && e.task.claimed_at)
          this.add({
            k: 'claimed',
            at: e.task.claimed_at,
            agentId: e.task.assignee,
            project: e.task.project,
            createdAt: e.task.created_at,
            attempt: e.task.attempts,
          });
        break;
      case 'task.completed':
        if (e.task.assignee && e.task.claimed_at)
          this.add({
            k: 'completed',
            at: e.task.finished_at ?? e.at,
            agentId: e.task.assignee,
            project: e.task.project,
            claimedAt: e.task.claimed_at,
          });
        break;
      case 'instance.output': {
        const kind = e.event.kind;
        if (typeof kind === 'string' && TURN_KINDS.has(kind))
          this.add({ k: 'turn', at: e.at, instanceId: e.instance_id, kind });
        break;
      }
      case 'instance.ended':
        this.add({ k: 'turn', at: e.at, instanceId: e.instance.instance_id, kind: 'ended' });
        break;
      default:
    }
  }

  private add(p: Pending): void {
    this.pending.push(p);
    this.push(this.pending.length);
  }

  /** Drops what is queued (before a rebuild, which reads it from the log). */
  discard(): void {
    this.pending = [];
  }

  /** Folds and writes what is queued. Called by the analytics recorder's flush, one at a time. */
  async flushNow(): Promise<void> {
    const queued = this.pending;
    this.pending = [];
    // In slices, yielding between them (see FLUSH_SLICE): a slice is what a smaller flush would have written.
    for (let i = 0; i < queued.length; i += FLUSH_SLICE) await this.write(queued.slice(i, i + FLUSH_SLICE));
  }

  /** Folds and writes one slice of the queue. */
  private async write(batch: Pending[]): Promise<void> {
    const { store } = this.d;

    // Look-ups first, then one fold without awaiting per record.
    const ids = new Set<string>();
    const originalIds = new Set<string>();
    const threadIds = new Set<string>();
    const answered: Array<{ requestId: string; agentId: string }> = [];
    const cursors: Array<{ agentId: string; cursor: number }> = [];
    const byMessage: Array<{ messageId: string; agentId: string }> = [];
    for (const p of batch) {
      if (p.k === 'sent') {
        ids.add(p.from);
        for (const r of p.to) ids.add(r);
        // A thread this message starts (it takes the message's id) has no stored start to look up.
        if (p.threadId !== p.id) threadIds.add(p.threadId);
        if (p.type === 'response' && p.replyTo) {
          originalIds.add(p.replyTo);
          answered.push({ requestId: p.replyTo, agentId: p.from });
        }
      } else if (p.k === 'read') {
        ids.add(p.agentId);
        for (const cursor of p.cursors) cursors.push({ agentId: p.agentId, cursor });
      } else if (p.k === 'ack') {
        ids.add(p.by);
        originalIds.add(p.messageId);
        byMessage.push({ messageId: p.messageId, agentId: p.by });
      } else if (p.k === 'turn' && !this.instanceAgents.has(p.instanceId)) {
        const rec = await store.instances.getInstance(p.instanceId);
        if (rec) this.instanceAgents.set(p.instanceId, rec.agentId);
      }
    }
    const originals = new Map<string, MessageRecord>();
    for (const id of originalIds) {
      const m = await store.getMessage(id);
      if (m) {
        originals.set(id, m);
        ids.add(m.from);
      }
    }
    for (const id of this.instanceAgents.values()) ids.add(id);
    const reads = await store.analytics.deliveryReads(cursors, byMessage);
    const readByCursor = new Map(reads.map((r) => [readKey(r.agentId, r.cursor), r]));
    const readByMessage = new Map(reads.map((r) => [answeredKey(r.messageId, r.agentId), r]));
    const memory = await store.analytics.perfMemory([...threadIds], answered);
    await this.projects.prime(ids);
    const who = (id: string) => this.projects.whoNow(id);
    const original = (m: MessageRecord): OriginalMessage => ({
      id: m.id,
      from: who(m.from),
      type: m.type,
      createdAt: m.createdAt,
      recipients: m.recipients,
      ackRequired: m.ackRequired,
    });
    const countRead = (
      r: { cursor: number; readAt: string | null; createdAt: string } | undefined,
      agentId: string,
      at: string,
    ) => {
      if (!r || r.readAt !== at || this.recentReads.has(readKey(agentId, r.cursor))) return;
      if (this.recentReads.size >= RECENT_READS) this.recentReads = new Set();
      this.recentReads.add(readKey(agentId, r.cursor));
      fold.read(at, who(agentId), r.createdAt);
    };

    const fold = new PerfFold(memory);
    for (const p of batch) {
      if (p.k === 'sent') {
        const o = p.type === 'response' && p.replyTo ? originals.get(p.replyTo) : undefined;
        fold.sent(
          {
            id: p.id,
            at: p.at,
            from: who(p.from),
            type: p.type,
            threadId: p.threadId,
            ackRequired: p.ackRequired,
            recipients: p.to.map(who),
          },
          o && original(o),
        );
      } else if (p.k === 'read') {
        for (const c of p.cursors) countRead(readByCursor.get(readKey(p.agentId, c)), p.agentId, p.at);
      } else if (p.k === 'ack') {
        const o = originals.get(p.messageId);
        if (!o) continue;
        fold.acked(p.at, who(p.by), original(o));
        // An ack marks an unread delivery read as well.
        countRead(readByMessage.get(answeredKey(p.messageId, p.by)), p.by, p.at);
      } else if (p.k === 'claimed') {
        fold.claimed(p.at, { id: p.agentId, project: p.project }, p.createdAt, p.attempt);
      } else if (p.k === 'completed') {
        fold.completed(p.at, { id: p.agentId, project: p.project }, p.claimedAt);
      } else if (p.kind === 'ended') {
        this.turns.ended(p.instanceId);
        this.instanceAgents.delete(p.instanceId);
      } else {
        const ms = this.turns.event(p.instanceId, p.kind, Date.parse(p.at));
        const agentId = this.instanceAgents.get(p.instanceId);
        if (ms !== undefined && agentId) fold.turn(p.at, who(agentId), ms);
      }
    }
    if (!fold.empty) await store.analytics.applyPerf(fold.take());
  }
}
