/** How errors leave the HTTP surface: status from the code, a JSON body, never a stack trace. */
import type { FastifyReply } from 'fastify';
import { HTTP_STATUS, type HubError } from '../../core/errors.js';

export function sendError(reply: FastifyReply, err: HubError): FastifyReply {
  if (err.retryAfterSeconds !== undefined) reply.header('Retry-After', String(err.retryAfterSeconds));
  if (err.code === 'unauthorized') reply.header('WWW-Authenticate', 'Bearer realm="switchboard"');
  return reply.status(HTTP_STATUS[err.code]).send({ success: false, error: err.toJSON() });
}
