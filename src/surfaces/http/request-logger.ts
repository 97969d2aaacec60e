/**
 * The per-request logger Fastify hands every request (`req.log`), made only when a line is written.
 * Fastify's default makes a pino child (bindings `req_id`) for each request, a few µs of hub CPU
 * per REST call; at info level a request that succeeds writes no line, so the child was never used.
 * This stands in for it: a level that is off returns at once, the first line that is written makes
 * the same child with the same bindings (so lines are exactly what the child writes: the request id,
 * the redaction of the parent logger), and `child()` passes through to it.
 */
import type { Bindings, ChildLoggerOptions, Level, Logger } from 'pino';

type LogFn = (...args: unknown[]) => void;

class LazyRequestLogger {
  private made: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly childBindings: Bindings,
  ) {}

  /** The real child, made once. */
  private real(): Logger {
    this.made ??= this.parent.child(this.childBindings);
    return this.made;
  }

  private write(level: Level, args: unknown[]): void {
    if (this.made) (this.made[level] as LogFn)(...args);
    else if (this.parent.isLevelEnabled(level)) (this.real()[level] as LogFn)(...args);
  }

  get level(): string {
    return this.made ? this.made.level : this.parent.level;
  }

  set level(value: string) {
    this.real().level = value;
  }

  isLevelEnabled(level: string): boolean {
    return this.made ? this.made.isLevelEnabled(level) : this.parent.isLevelEnabled(level);
  }

  bindings(): Bindings {
    return this.real().bindings();
  }

  child(bindings: Bindings, opts?: ChildLoggerOptions): Logger {
    return this.real().child(bindings, opts);
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.write('error', args);
  }
  warn(...args: unknown[]): void {
    this.write('warn', args);
  }
  info(...args: unknown[]): void {
    this.write('info', args);
  }
  debug(...args: unknown[]): void {
    this.write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.write('trace', args);
  }
  silent(): void {}
}

/**
 * Fastify's `childLoggerFactory`: the lazy stand-in, unless the route sets its own log level or
 * options (none of ours do), which get the real child at once.
 */
export function requestLogger(parent: Logger, bindings: Bindings, opts: ChildLoggerOptions): Logger {
  if (Object.keys(opts).length > 0) return parent.child(bindings, opts);
  return new LazyRequestLogger(parent, bindings) as unknown as Logger;
}
