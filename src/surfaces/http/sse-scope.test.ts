import { describe, expect, it } from 'vitest';
import type { HubEvent } from '../../bus/events.js';
import { admin, anonymous, asAgent } from '../../core/caller.js';
import type { AgentView } from '../../core/views.js';
import { hubWideScope, publicEvent } from './sse-scope.js';

const agent: AgentView = {
  agent_id: 'a',
  session_id: 'secret-session',
  name: 'A',
  status: 'active',
  capabilities: ['x'],
  role: 'r',
  description: 'secret description',
  metadata: { secret: true },
  project: 'p',
  last_heartbeat: '2026-01-01T00:00:00.000Z',
  created_at: '2026-01-01T00:00:00.000Z',
  retired_at: null,
};
const at = '2026-01-01T00:00:00.000Z';
const registered: HubEvent = { type: 'agent.registered', at, agent };
const status: HubEvent = { type: 'agent.status', at, agent_id: 'a', status: 'idle', previous: 'active' };
const subscribed: HubEvent = { type: 'topic.subscribed', at, agent_id: 'a', topic: 't' };
const leased = { type: 'lease.acquired', at } as unknown as HubEvent;

describe('publicEvent', () => {
  it('keeps presence and strips an agent to id, name, status and project', () => {
    expect(publicEvent(registered)).toEqual({
      type: 'agent.registered',
      at,
      agent: { agent_id: 'a', name: 'A', status: 'active', project: 'p' },
    });
    expect(publicEvent({ ...registered, type: 'agent.updated' })?.agent).not.toHaveProperty('metadata');
    expect(publicEvent(status)).toBe(status);
    expect(publicEvent({ type: 'agent.retired', at, agent_id: 'a', reason: 'r' })).toBeDefined();
  });

  it('gives nothing else', () => {
    expect(publicEvent(subscribed)).toBeUndefined();
    expect(publicEvent(leased)).toBeUndefined();
  });
});

describe('hubWideScope', () => {
  it('the admin gets everything as it is', () => {
    expect(hubWideScope(admin)(leased)).toBe(leased);
  });

  it('an agent gets agent events and its own topic events', () => {
    const scope = hubWideScope(asAgent('a'));
    expect(scope(registered)).toBe(registered);
    expect(scope(subscribed)).toBe(subscribed);
    expect(hubWideScope(asAgent('b'))(subscribed)).toBeUndefined();
    expect(scope(leased)).toBeUndefined();
  });

  it('a caller without a token gets the public view', () => {
    expect(hubWideScope(anonymous)(registered)).toEqual(publicEvent(registered));
    expect(hubWideScope(anonymous)(subscribed)).toBeUndefined();
  });
});
