import { describe, expect, it } from 'vitest';
import { DEFAULT_DELIVERY } from '../../core/delivery/settings.js';
import { effectiveSettings, mergeSettings, validSettings } from './rules.js';

describe('delivery settings rules', () => {
  it('a change replaces the fields it gives, null clears one, the rest stay', () => {
    const stored = { min_importance: 'high', types: ['request'], max_batch: 5 };
    expect(mergeSettings(stored, { types: null, max_batch: 20, topics: undefined })).toEqual({
      min_importance: 'high',
      max_batch: 20,
    });
  });

  it('reads unset fields as defaults; a row that does not parse counts as unset', () => {
    expect(effectiveSettings(undefined)).toEqual(DEFAULT_DELIVERY);
    expect(effectiveSettings({ max_batch: 3 })).toEqual({ ...DEFAULT_DELIVERY, max_batch: 3 });
    expect(effectiveSettings({ max_batch: 'many' })).toEqual(DEFAULT_DELIVERY);
  });

  it('refuses an invalid whole, naming the field', () => {
    expect(() => validSettings({ max_events_per_minute: 0 })).toThrow(/max_events_per_minute/);
    expect(validSettings({ senders: 'any' }).senders).toBe('any');
  });
});
