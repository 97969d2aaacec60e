/** Structured logs (pino), one line per event. */
import { type Logger, pino } from 'pino';

export type { Logger };

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'switchboard' },
      redact: {
        paths: ['token', '*.token', 'headers.authorization', 'req.headers.authorization'],
        remove: true,
      },
    },
    destination ?? pino.destination({ dest: 2, sync: false }),
  );
}

/** The part of a logger that operations use; both pino loggers and Fastify request loggers fit. */
export type LogSink = Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
