/**
 * Delivery settings: how an agent's new messages are pushed into its session (the stdio bridge as a
 * Claude Code channel) or wake its supervised instance. One agent's settings, stored on the hub
 * (`set_delivery_settings`), read by every consumer; every field has a default, so `{}` is valid.
 * Nothing here drops a message: what a filter or the pace holds back stays unread in the inbox.
 */
import { z } from 'zod';

export const IMPORTANCE = ['low', 'normal', 'high', 'urgent'] as const;
export type ImportanceLevel = (typeof IMPORTANCE)[number];

/** The rank of an importance (low 0 … urgent 3), for thresholds. */
export const importanceRank = (i: ImportanceLevel): number => IMPORTANCE.indexOf(i);

const TYPE_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const TOPIC_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

export const DELIVERY_LIMITS = {
  /** Entries in `types` or `topics`. */
  listEntries: 32,
  /** Events per minute a session may be sent at most. */
  maxEventsPerMinute: 600,
  batchWindowMs: 10_000,
  maxBatch: 50,
} as const;

export const deliverySettingsSchema = z.strictObject({
  min_importance: z
    .enum(IMPORTANCE)
    .default('low')
    .describe('Push only messages of at least this importance; the rest wait in the inbox'),
  types: z
    .array(z.string().regex(TYPE_NAME, 'a message type is one lower-case word (letters, digits, _)'))
    .max(DELIVERY_LIMITS.listEntries)
    .optional()
    .describe('Push only these message types (unset: every type)'),
  topics: z
    .array(z.string().regex(TOPIC_NAME, 'a topic name: letters, digits and . _ : / - (at most 128)'))
    .max(DELIVERY_LIMITS.listEntries)
    .optional()
    .describe('Push topic messages only for these topics (unset: every topic); direct messages always pass'),
  senders: z
    .enum(['project', 'any'])
    .default('project')
    .describe('project: push only messages from your own project and the admin; any: from anyone'),
  max_events_per_minute: z
    .number()
    .int()
    .min(1)
    .max(DELIVERY_LIMITS.maxEventsPerMinute)
    .default(12)
    .describe('At most this many events a minute; more messages wait and go together in the next event'),
  batch_window_ms: z
    .number()
    .int()
    .min(0)
    .max(DELIVERY_LIMITS.batchWindowMs)
    .default(500)
    .describe('Messages arriving within this window go together in one event'),
  max_batch: z
    .number()
    .int()
    .min(1)
    .max(DELIVERY_LIMITS.maxBatch)
    .default(10)
    .describe('Messages in one event at most'),
});

export type DeliverySettings = z.output<typeof deliverySettingsSchema>;
export type DeliverySettingsInput = z.input<typeof deliverySettingsSchema>;

/** The settings an agent that never set any gets. */
export const DEFAULT_DELIVERY: DeliverySettings = deliverySettingsSchema.parse({});
