/** Who is calling, as established by the transport (bearer token, MCP session), never by arguments. */
export type Caller = { kind: 'anonymous' } | { kind: 'agent'; agentId: string } | { kind: 'admin' };

export const anonymous: Caller = { kind: 'anonymous' };
export const admin: Caller = { kind: 'admin' };
export const asAgent = (agentId: string): Caller => ({ kind: 'agent', agentId });

/** A stable key for rate limiting and logs. */
export const callerKey = (c: Caller): string => (c.kind === 'agent' ? `agent:${c.agentId}` : c.kind);
