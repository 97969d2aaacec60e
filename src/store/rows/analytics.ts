/**
 * The log rows an analytics rebuild scans (messages, task attempts, instances) as both stores read
 * them, and the records they become. A message's deliveries are read differently by each store, so
 * `toLogMessage` takes them ready-made; its flag column goes through `flag` (0/1 or boolean).
 */
import type { LogAttempt, LogMessage } from '../analytics.js';
import { flag } from './messages.js';

export interface LogMessageRow {
  seq: number;
  id: string;
  from_agent: string;
  type: string;
  thread_id: string;
  reply_to: string | null;
  project: string;
  created_at: string;
  ack_required: number | boolean;
}

export const toLogMessage = (r: LogMessageRow, deliveries: LogMessage['deliveries']): LogMessage => ({
  seq: r.seq,
  id: r.id,
  from: r.from_agent,
  type: r.type,
  threadId: r.thread_id,
  replyTo: r.reply_to,
  project: r.project,
  createdAt: r.created_at,
  ackRequired: flag(r.ack_required),
  deliveries,
});

export interface LogAttemptRow {
  attempt: number;
  created_at: string;
  agent_id: string;
  project: string;
  claimed_at: string;
  ended_at: string | null;
  outcome: string | null;
}

export const toLogAttempt = (r: LogAttemptRow): LogAttempt => ({
  attempt: r.attempt,
  taskCreatedAt: r.created_at,
  agentId: r.agent_id,
  project: r.project,
  claimedAt: r.claimed_at,
  endedAt: r.ended_at,
  outcome: r.outcome,
});

/** An instance's usage, dated when it ended (or, while it runs, when it was created). */
export interface LogInstanceRow {
  id: string;
  agent_id: string;
  at: string;
  tokens: number;
  cost_usd: number;
}

export const toLogInstance = (r: LogInstanceRow) => ({
  id: r.id,
  agentId: r.agent_id,
  at: r.at,
  tokens: r.tokens,
  costUsd: r.cost_usd,
});
