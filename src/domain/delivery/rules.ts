/**
 * How a change to an agent's delivery settings combines with what it set before: the fields given
 * replace the stored ones, `null` clears a field back to its default, the rest stay. The result is
 * validated whole, so a stored row is always a valid settings object.
 */
import {
  type DeliverySettings,
  deliverySettingsSchema,
  DEFAULT_DELIVERY,
} from '../../core/delivery/settings.js';
import { HubError } from '../../core/errors.js';

/** A change: each field a new value, or null for its default. */
export type DeliveryPatch = { [K in keyof DeliverySettings]?: DeliverySettings[K] | null };

/** The stored fields after a change (only what differs from nothing: unset fields are left out). */
export function mergeSettings(
  stored: Record<string, unknown>,
  patch: DeliveryPatch,
): Record<string, unknown> {
  const next: Record<string, unknown> = { ...stored };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return next;
}

/** The effective settings of stored fields (defaults for the rest); a row that no longer parses counts as unset. */
export function effectiveSettings(stored: Record<string, unknown> | undefined): DeliverySettings {
  if (!stored) return DEFAULT_DELIVERY;
  const parsed = deliverySettingsSchema.safeParse(stored);
  return parsed.success ? parsed.data : DEFAULT_DELIVERY;
}

/** Validates merged fields; a bad combination is refused naming the field. */
export function validSettings(fields: Record<string, unknown>): DeliverySettings {
  const parsed = deliverySettingsSchema.safeParse(fields);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new HubError('invalid_input', `${issue.path.join('.') || 'settings'}: ${issue.message}`);
}
