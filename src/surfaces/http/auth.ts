/** Identity from the transport: `Authorization: Bearer <token>` (or `?token=` on WebSocket/SSE). */
import { admin, anonymous, asAgent, type Caller } from '../../core/caller.js';
import { HubError } from '../../core/errors.js';
import { timingSafeEqual } from 'node:crypto';
import { tokenDigest } from '../../core/tokens.js';
import type { Services } from '../../domain/index.js';

export interface Identified {
  caller: Caller;
  token?: string;
}

export function bearerFrom(authorization: string | string[] | undefined): string | undefined {
  const header = Array.isArray(authorization) ? authorization[0] : authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) {
    throw new HubError('unauthorized', 'The Authorization header must be "Bearer <token>"');
  }
  return match[1];
}

/** The admin token's SHA-256, computed once per admin token (the hub holds one for its lifetime). */
let admin_: { token: string; digest: Buffer } | undefined;
function adminDigest(adminToken: string): Buffer {
  if (admin_?.token !== adminToken) admin_ = { token: adminToken, digest: tokenDigest(adminToken) };
  return admin_.digest;
}

/**
 * The token each connection presented last, with its SHA-256: a keep-alive client sends the same
 * Authorization header on every request, and hashing it was a measurable part of each REST call
 * (3–6 µs). Only the hash is remembered; who it belongs to is looked up on every request as before.
 * Held no longer than the connection (a WeakMap on its socket).
 */
const lastToken = new WeakMap<object, { token: string; digest: Buffer }>();

function digestOf(token: string, connection: object | undefined): Buffer {
  if (!connection) return tokenDigest(token);
  const last = lastToken.get(connection);
  if (last && last.token === token) return last.digest;
  const digest = tokenDigest(token);
  lastToken.set(connection, { token, digest });
  return digest;
}

/**
 * Resolves a presented token to a caller. A token that matches nothing is a 401, never anonymous.
 * The token is hashed once (once per connection while it presents the same one): that hash is
 * compared with the admin token's (in constant time) and looked up among the agents' (an in-memory
 * map kept by the agent service, exact under rotation). `connection`: the request's socket.
 */
export async function identify(
  services: Services,
  adminToken: string,
  token: string | undefined,
  connection?: object,
): Promise<Identified> {
  if (!token) return { caller: anonymous };
  const digest = digestOf(token, connection);
  if (timingSafeEqual(digest, adminDigest(adminToken))) return { caller: admin, token };
  const agent = await services.agents.authenticate(token, digest.toString('hex'));
  if (!agent) {
    throw new HubError(
      'unauthorized',
      'The bearer token is not valid: send Authorization: Bearer <agent token from register_agent> (or the admin token)',
    );
  }
  return { caller: asAgent(agent.id), token };
}

/** One query-string value (`?token=`, `?since=`): a repeated one is a 400, not a list passed on. */
export function queryParam(value: unknown, name: string): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  throw new HubError('invalid_input', `Give ${name} once in the query string`);
}
