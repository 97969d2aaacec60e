import { describe, expect, it } from 'vitest';
import type { HubEvent } from '../../bus/events.js';
import type { PresenceEvent } from '../../bus/frames.js';
import { admin, anonymous, asAgent } from '../../core/caller.js';
import type { AgentView } from '../../core/wire/index.js';
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
const status: HubEvent = {
  type: 'agent.status',
  at,
  agent_id: 'a',
  project: 'p',
  status: 'idle',
  previous: 'active',
};
const retired: HubEvent = { type: 'agent.retired', at, agent_id: 'a', project: 'p', reason: 'r' };
/** The same events, of an agent of another project. */
const elsewhere = { ...agent, agent_id: 'z', project: 'q' };
const registeredElsewhere: HubEvent = { type: 'agent.registered', at, agent: elsewhere };
const updatedElsewhere: HubEvent = { type: 'agent.updated', at, agent: elsewhere };
const statusElsewhere: HubEvent = { ...status, agent_id: 'z', project: 'q' };
const retiredElsewhere: HubEvent = { ...retired, agent_id: 'z', project: 'q' };
/** Viewers a, b in project p; c was never seen (no project known). */
const projects = new Map([
  ['a', 'p'],
  ['b', 'p'],
]);
const projectOf = (id: string) => projects.get(id);
const scopeOf = (caller: Parameters<typeof hubWideScope>[0]) => hubWideScope(caller, projectOf);
const subscribed: HubEvent = { type: 'topic.subscribed', at, agent_id: 'a', topic: 't' };
const leased = { type: 'lease.acquired', at } as unknown as HubEvent;

describe('publicEvent', () => {
  it('keeps presence and strips an agent to id, name, status and project', () => {
    expect(publicEvent(registered)).toEqual({
      type: 'agent.registered',
      at,
      agent: { agent_id: 'a', name: 'A', status: 'active', project: 'p' },
    });
    expect(
      (publicEvent({ ...registered, type: 'agent.updated' }) as PresenceEvent)?.agent,
    ).not.toHaveProperty('metadata');
    expect(publicEvent(status)).toBe(status);
    expect(publicEvent(retired)).toBe(retired);
  });

  it('gives nothing else', () => {
    expect(publicEvent(subscribed)).toBeUndefined();
    expect(publicEvent(leased)).toBeUndefined();
  });
});

describe('hubWideScope', () => {
  it('the admin gets everything as it is, of every project', () => {
    expect(scopeOf(admin)(leased)).toBe(leased);
    expect(scopeOf(admin)(registeredElsewhere)).toBe(registeredElsewhere);
    expect(scopeOf(admin)(statusElsewhere)).toBe(statusElsewhere);
  });

  it('an agent gets the agent events of its own project and its own topic events', () => {
    const scope = scopeOf(asAgent('a'));
    for (const event of [registered, { ...registered, type: 'agent.updated' } as HubEvent, status, retired])
      expect(scope(event)).toBe(event);
    expect(scope(subscribed)).toBe(subscribed);
    expect(scopeOf(asAgent('b'))(subscribed)).toBeUndefined();
    expect(scope(leased)).toBeUndefined();
  });

  it('an agent gets nothing of another project', () => {
    const scope = scopeOf(asAgent('a'));
    for (const event of [registeredElsewhere, updatedElsewhere, statusElsewhere, retiredElsewhere])
      expect(scope(event)).toBeUndefined();
  });

  it('follows the viewer to a new project, and shows nothing when its project is unknown', () => {
    const scope = scopeOf(asAgent('b'));
    expect(scope(registered)).toBe(registered);
    projects.set('b', 'q');
    expect(scope(registered)).toBeUndefined();
    expect(scope(registeredElsewhere)).toBe(registeredElsewhere);
    projects.set('b', 'p');
    const unknown = scopeOf(asAgent('c'));
    for (const event of [registered, status, retired, registeredElsewhere])
      expect(unknown(event)).toBeUndefined();
  });

  it('a caller without a token gets the public view of every project', () => {
    expect(scopeOf(anonymous)(registered)).toEqual(publicEvent(registered));
    expect(scopeOf(anonymous)(registeredElsewhere)).toEqual(publicEvent(registeredElsewhere));
    expect(scopeOf(anonymous)(subscribed)).toBeUndefined();
  });
});
