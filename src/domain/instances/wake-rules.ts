/**
 * The rules of waking a supervised instance on mail: which delivery mode an adapter really gets
 * (steer only where the CLI takes a user message on stdin mid-turn), the settings an instance
 * delivers with, and the turn text a batch of messages becomes (the `<channel …>` tag a Claude Code
 * channel would show, cut into several turns when the CLI takes only so many bytes a turn).
 */
import type { Adapter } from '../../agents/adapters/types.js';
import { channelEvent, channelTag } from '../../core/delivery/event.js';
import type { DeliverableMessage } from '../../core/delivery/filter.js';
import type { HeldCounts } from '../../core/delivery/pacer.js';
import {
  DEFAULT_DELIVERY,
  type DeliverySettings,
  deliverySettingsSchema,
} from '../../core/delivery/settings.js';
import { HubError } from '../../core/errors.js';
import type { InstanceDelivery } from '../../store/instances.js';

export const DELIVERY_MODES = ['manual', 'idle', 'steer'] as const;
export type DeliveryMode = (typeof DELIVERY_MODES)[number];

/** What an instance with this mode and adapter does with new mail: steer where the CLI allows it, else idle. */
export function effectiveMode(mode: DeliveryMode, adapter: Adapter): DeliveryMode {
  if (mode !== 'steer') return mode;
  return adapter.mode === 'session' && adapter.steers === true ? 'steer' : 'idle';
}

/** The spawn's `delivery` and `delivery_settings`, checked (a team template is not schema-checked). */
export function instanceDelivery(mode: unknown, settings: unknown): InstanceDelivery {
  const m = mode ?? 'manual';
  if (typeof m !== 'string' || !(DELIVERY_MODES as readonly string[]).includes(m))
    throw new HubError('invalid_input', `delivery: one of ${DELIVERY_MODES.join(', ')} (default manual)`);
  if (settings === undefined) return { mode: m as DeliveryMode };
  const parsed = deliverySettingsSchema.safeParse(settings);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new HubError(
      'invalid_input',
      `delivery_settings.${issue.path.join('.') || '(top level)'}: ${issue.message}`,
    );
  }
  return { mode: m as DeliveryMode, settings: settings as Record<string, unknown> };
}

/** The instance's own settings over the defaults (what it delivers with unless the hub stores others). */
export const ownDeliverySettings = (d: InstanceDelivery): DeliverySettings =>
  d.settings ? deliverySettingsSchema.parse(d.settings) : DEFAULT_DELIVERY;

export interface WakeTurn {
  text: string;
  messages: DeliverableMessage[];
  woken_by: { message_ids: string[]; cursor: string };
}

const wakeTurn = (messages: DeliverableMessage[], held: HeldCounts): WakeTurn => ({
  text: channelTag(channelEvent(messages, held)),
  messages,
  woken_by: { message_ids: messages.map((m) => m.message_id), cursor: messages.at(-1)!.cursor },
});

/**
 * The turns a batch becomes: one, unless its text is longer than the CLI takes a turn (`maxBytes`);
 * then as many messages each as fit, in order (the held-back note goes with the first). One message
 * always fits: an event cuts each body.
 */
export function wakeTurns(batch: DeliverableMessage[], held: HeldCounts, maxBytes?: number): WakeTurn[] {
  const whole = wakeTurn(batch, held);
  if (maxBytes === undefined || Buffer.byteLength(whole.text) <= maxBytes) return [whole];
  const out: WakeTurn[] = [];
  let chunk: DeliverableMessage[] = [];
  let best: WakeTurn | null = null;
  for (const m of batch) {
    const next = wakeTurn([...chunk, m], out.length ? {} : held);
    if (best && Buffer.byteLength(next.text) > maxBytes) {
      out.push(best);
      chunk = [m];
      best = wakeTurn(chunk, {});
    } else {
      chunk.push(m);
      best = next;
    }
  }
  if (best) out.push(best);
  return out;
}
