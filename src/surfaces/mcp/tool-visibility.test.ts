import { describe, expect, it } from 'vitest';
import { admin, anonymous, asAgent } from '../../core/caller.js';
import { catalog } from '../../ops/catalog.js';
import { ALL_PROFILES, parseToolProfiles } from '../../ops/profiles.js';
import { downstreamListed, opListed, requireProfile } from './tool-visibility.js';

const op = (name: string) => catalog.find((o) => o.name === name)!;
const agent = asAgent('a1');

describe('which tools a connection lists', () => {
  it('by caller: anonymous public only, an agent public and agent, the admin all', () => {
    const all = ALL_PROFILES;
    for (const [name, anon, ag, adm] of [
      ['register_agent', true, true, true],
      ['list_agents', true, true, true],
      ['send_message', false, true, true],
      ['add_server', false, false, true],
    ] as const) {
      expect(opListed(op(name), { caller: anonymous, profiles: all }), `${name} anonymous`).toBe(anon);
      expect(opListed(op(name), { caller: agent, profiles: all }), `${name} agent`).toBe(ag);
      expect(opListed(op(name), { caller: admin, profiles: all }), `${name} admin`).toBe(adm);
    }
  });

  it('by profile: only the selected ones, core always', () => {
    const messaging = parseToolProfiles('messaging');
    expect(opListed(op('send_message'), { caller: admin, profiles: messaging })).toBe(true);
    expect(opListed(op('whoami'), { caller: admin, profiles: messaging })).toBe(true);
    expect(opListed(op('create_task'), { caller: admin, profiles: messaging })).toBe(false);
    expect(opListed(op('hub_status'), { caller: admin, profiles: messaging })).toBe(false);
    expect(opListed(op('hub_status'), { caller: anonymous, profiles: parseToolProfiles('analytics') })).toBe(
      true,
    );
  });

  it('downstream tools: identified callers, gateway profile', () => {
    expect(downstreamListed({ caller: anonymous, profiles: ALL_PROFILES })).toBe(false);
    expect(downstreamListed({ caller: agent, profiles: ALL_PROFILES })).toBe(true);
    expect(downstreamListed({ caller: admin, profiles: ALL_PROFILES })).toBe(true);
    expect(downstreamListed({ caller: agent, profiles: parseToolProfiles('messaging') })).toBe(false);
    expect(downstreamListed({ caller: agent, profiles: parseToolProfiles('gateway') })).toBe(true);
  });

  it('a tool outside the selection is refused, naming its profile and how to add it', () => {
    expect(() => requireProfile('create_task', 'coordination', ALL_PROFILES)).not.toThrow();
    expect(() =>
      requireProfile('create_task', 'coordination', parseToolProfiles('messaging,instances')),
    ).toThrow(
      /^create_task is in the "coordination" tool profile, which this connection did not select \(tools=messaging,instances\); add coordination to/,
    );
  });
});
