/**
 * Structured logs (pino), one line per event. No line holds a secret: token fields and the
 * Authorization header are removed, and every line passes through redactText (URL query strings and
 * credentials, anything shaped like a hub token), whichever field or message carries them.
 */
import { type Logger, pino } from 'pino';
import { redactText, redactUrl } from './redact.js';

export type { Logger };

/** A request as logged (Fastify's own lines use this too): the path without its query string. */
function requestValue(req: {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}): Record<string, unknown> {
  return {
    method: req.method,
    url: typeof req.url === 'string' ? redactUrl(req.url) : req.url,
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'switchboard' },
      redact: {
        paths: ['token', '*.token', 'headers.authorization', 'req.headers.authorization'],
        remove: true,
      },
      serializers: {
        req: requestValue,
        url: (url: unknown) => (typeof url === 'string' ? redactUrl(url) : url),
      },
      hooks: { streamWrite: redactText },
    },
    destination ?? pino.destination({ dest: 2, sync: false }),
  );
}

/** The part of a logger that operations use; both pino loggers and Fastify request loggers fit. */
export type LogSink = Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
