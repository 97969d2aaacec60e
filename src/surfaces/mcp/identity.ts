/**
 * Who an MCP request acts as. The HTTP endpoint resolves the bearer header once per request and
 * hands the result to the SDK as pass-through `authInfo`; tool and resource handlers read it back.
 * A 2025-era session may also be bound to the agent that registered in it.
 */
import type { AuthInfo, ServerContext } from '@modelcontextprotocol/server';
import { anonymous, asAgent, type Caller, callerKey } from '../../core/caller.js';

export interface RequestIdentity {
  caller: Caller;
  /** The bearer token presented on this request (never echoed). */
  token?: string;
  /** The client address, for rate limiting anonymous callers. */
  remote?: string;
}

/**
 * A 2025-era session's own state: the agent that registered in it, if any. It remembers every agent
 * it was bound to: their tokens were never shown, so they end with the session.
 */
export class SessionBinding {
  id = '';
  private current?: string;
  readonly agents = new Set<string>();

  get agentId(): string | undefined {
    return this.current;
  }

  set agentId(id: string | undefined) {
    this.current = id;
    if (id) this.agents.add(id);
  }
}

const KEY = 'switchboard';

export function authInfoFor(identity: RequestIdentity): AuthInfo {
  return {
    token: identity.token ?? '',
    clientId: callerKey(identity.caller),
    scopes: [],
    extra: { [KEY]: identity },
  };
}

export function requestIdentity(ctx: ServerContext): RequestIdentity {
  const found = ctx.http?.authInfo?.extra?.[KEY] as RequestIdentity | undefined;
  return found ?? { caller: anonymous };
}

/** The bearer header wins; without one, a session bound by register_agent acts as its agent. */
export function effectiveIdentity(ctx: ServerContext, session?: SessionBinding): RequestIdentity {
  const fromRequest = requestIdentity(ctx);
  if (fromRequest.token || !session?.agentId) return fromRequest;
  return { ...fromRequest, caller: asAgent(session.agentId) };
}
