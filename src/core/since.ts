/** `since` in inbox reads and live streams: a cursor from an earlier answer (digits) or an ISO-8601 time. */
import { HubError } from './errors.js';

/** `since` is a cursor (digits) or an ISO-8601 time. */
export function parseSince(since: string | undefined): { afterCursor?: number; sinceTime?: string } {
  if (since === undefined || since === '') return {};
  if (/^\d{1,15}$/.test(since)) return { afterCursor: Number(since) };
  const ms = Date.parse(since);
  if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}/.test(since)) {
    throw new HubError(
      'invalid_input',
      'since must be a cursor from an earlier answer (digits) or an ISO-8601 time',
    );
  }
  return { sinceTime: new Date(ms).toISOString() };
}
