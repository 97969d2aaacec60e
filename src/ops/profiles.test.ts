import { describe, expect, it } from 'vitest';
import { catalog } from './catalog.js';
import {
  ALL_PROFILES,
  describeSelection,
  PROFILE_CHOICES,
  parseToolProfiles,
  profileOf,
  TOOL_PROFILES,
} from './profiles.js';

describe('tool profiles', () => {
  it('every operation of the catalog has a profile, and every profile but analytics has operations', () => {
    const byProfile = new Map<string, string[]>();
    for (const op of catalog) {
      const profile = profileOf(op);
      expect(TOOL_PROFILES, op.name).toContain(profile);
      byProfile.set(profile, [...(byProfile.get(profile) ?? []), op.name]);
    }
    expect(byProfile.get('core')?.sort()).toEqual(['register_agent', 'whoami']);
    for (const profile of ['messaging', 'coordination', 'instances', 'gateway'])
      expect(byProfile.get(profile)?.length, profile).toBeGreaterThan(0);
    expect(profileOf({ name: 'send_message', group: 'messages' })).toBe('messaging');
    expect(profileOf({ name: 'create_task', group: 'tasks' })).toBe('coordination');
  });

  it('an operation of an unmapped group is a programming error, named', () => {
    expect(() => profileOf({ name: 'new_op', group: 'billing' })).toThrow(
      /new_op: group billing has no tool profile/,
    );
  });

  it('parses a selection: absent or all → every profile; names → those plus core', () => {
    expect(parseToolProfiles(undefined)).toBe(ALL_PROFILES);
    expect(parseToolProfiles(null)).toBe(ALL_PROFILES);
    expect(parseToolProfiles('all')).toBe(ALL_PROFILES);
    expect(parseToolProfiles('messaging,all')).toBe(ALL_PROFILES);
    expect([...parseToolProfiles(' Messaging , coordination,messaging ')]).toEqual([
      'core',
      'messaging',
      'coordination',
    ]);
    expect([...parseToolProfiles('analytics')]).toEqual(['core', 'analytics']);
  });

  it('refuses unknown or missing names, listing the allowed ones', () => {
    expect(() => parseToolProfiles('messaging,chat,x', '?tools=')).toThrow(
      `?tools= has unknown tool profile(s) "chat", "x"; allowed: ${PROFILE_CHOICES.join(', ')}`,
    );
    expect(() => parseToolProfiles(' , ', '--tools')).toThrow(
      /--tools names no tool profile; allowed: core, /,
    );
    expect(() => parseToolProfiles('nope')).toThrow(expect.objectContaining({ code: 'invalid_input' }));
  });

  it('describes a selection as it would be written', () => {
    expect(describeSelection(ALL_PROFILES)).toBe('all');
    expect(describeSelection(parseToolProfiles('coordination,messaging'))).toBe('coordination,messaging');
    expect(describeSelection(parseToolProfiles('core'))).toBe('core');
  });
});
