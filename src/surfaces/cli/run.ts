/**
 * Runs a command's action: success leaves exit code 0; any failure prints one line on stderr
 * (`switchboard: <reason>`), with --json also the error as JSON on stdout, and exits with the code for
 * its kind (EXIT_CODE).
 */
import type { Command } from 'commander';
import { SwitchboardError } from '../../client/errors.js';
import { ERROR_CODES, type ErrorCode, EXIT_CODE, HubError } from '../../core/errors.js';

const HINTS: Partial<Record<ErrorCode, string>> = {
  unauthorized: 'pass --token <agent token> or set SWITCHBOARD_TOKEN; --admin acts as the admin',
};

function normalize(err: unknown): { code: ErrorCode; message: string; details?: unknown } {
  if (err instanceof SwitchboardError || err instanceof HubError) {
    return { code: err.code, message: err.message, details: err.details };
  }
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code)) {
    return { code: code as ErrorCode, message: (err as Error).message };
  }
  return { code: 'internal', message: (err as Error)?.message ?? String(err) };
}

export function fail(err: unknown, json: boolean, identity?: string): void {
  const e = normalize(err);
  const oneLine = e.message.replace(/\s*\n\s*/g, ' ');
  const hint =
    HINTS[e.code] && identity !== 'admin' && !oneLine.includes('--token') ? ` (${HINTS[e.code]})` : '';
  process.stderr.write(`switchboard: ${oneLine}${hint}\n`);
  if (json) {
    const error: Record<string, unknown> = { code: e.code, message: e.message };
    if (e.details !== undefined) error.details = e.details;
    process.stdout.write(`${JSON.stringify({ success: false, error })}\n`);
  }
  process.exitCode = EXIT_CODE[e.code];
}

/** Wraps an action `(…args, options, command)` so errors become a one-line reason and an exit code. */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<void> | void,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const command = args[args.length - 1] as Command;
    const opts = (typeof command?.opts === 'function' ? command.opts() : {}) as {
      json?: boolean;
      admin?: boolean;
    };
    try {
      await fn(...args);
    } catch (err) {
      fail(err, opts.json === true, opts.admin ? 'admin' : undefined);
    }
  };
}

/** `switchboard hooks install`: the words a user types to reach this command. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.parent ? c.name() : 'switchboard');
  return names.join(' ');
}

/**
 * Commander's usage error on one line: `error: unknown command 'snd'\n(Did you mean send?)` becomes
 * `unknown command 'snd'. Did you mean 'send'?`.
 */
export function usageLine(text: string): string {
  const [first = '', ...rest] = text
    .trim()
    .replace(/^error: /, '')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const similar = rest.join(' ').match(/^\(Did you mean (one of )?(.+)\?\)$/);
  if (!similar) return [first, ...rest].join(' ');
  const names = similar[2]
    .split(', ')
    .map((name) => `'${name}'`)
    .join(', ');
  return `${first.replace(/\.$/, '')}. Did you mean ${similar[1] ?? ''}${names}?`;
}

/**
 * Usage errors (unknown command or option, missing argument) print one line with the command's help
 * to look at, not the whole help, and exit with the invalid_input code, not commander's 1.
 */
export function usageExits(cmd: Command): Command {
  return cmd
    .showHelpAfterError(false)
    .showSuggestionAfterError(true)
    .configureOutput({
      outputError: (text, write) =>
        write(`switchboard: ${usageLine(text)} (see ${commandPath(cmd)} --help)\n`),
    })
    .exitOverride((err) => {
      process.exit(err.exitCode === 0 ? 0 : EXIT_CODE.invalid_input);
    });
}

/** Gives this command and every command under it the one-line usage errors of usageExits. */
export function usageExitsEverywhere(cmd: Command): void {
  usageExits(cmd);
  for (const sub of cmd.commands) usageExitsEverywhere(sub);
}
