/**
 * The one path every call takes, whatever the surface: authorize, rate-limit, validate, record
 * presence, run the handler. Surfaces only translate transport details into an OpContext.
 */
import type { z } from 'zod';
import { type Caller, callerKey } from '../core/caller.js';
import { fromZodError, HubError, toHubError } from '../core/errors.js';
import type { RateLimiter } from '../core/rate-limit.js';
import type { Access, AnyOperation, OpContext } from './types.js';

export interface InvokeObserver {
  completed(op: string, seconds: number, errorCode?: string, caller?: Caller): void;
}

const AUTH_HINT =
  'send Authorization: Bearer <agent token> (register_agent returns one; `switchboard connect` prints client config with it)';

/** Whether this caller may call an operation of this access at all (what authorize lets through). */
export function mayCall(access: Access, caller: Caller): boolean {
  return access === 'public' || caller.kind === 'admin' || (access === 'agent' && caller.kind === 'agent');
}

export function authorize(access: Access, caller: Caller, opName: string): void {
  if (mayCall(access, caller)) return;
  if (access === 'agent') {
    throw new HubError('unauthorized', `${opName} acts as an agent: ${AUTH_HINT}`);
  }
  if (caller.kind === 'anonymous') {
    throw new HubError(
      'unauthorized',
      `${opName} needs the admin token: send Authorization: Bearer <admin token>`,
    );
  }
  throw new HubError('forbidden', `${opName} is for the admin only`);
}

/** Input nested deeper than this is refused: it could not be stored or serialized (stack overflow). */
export const MAX_INPUT_DEPTH = 64;

/** True when `value` nests objects or arrays more than `max` levels deep (iterative, no recursion). */
function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

export class Invoker {
  readonly ops: ReadonlyMap<string, AnyOperation>;

  constructor(
    catalog: readonly AnyOperation[],
    private readonly limiter: RateLimiter,
    private readonly observer?: InvokeObserver,
  ) {
    const map = new Map<string, AnyOperation>();
    for (const op of catalog) {
      if (map.has(op.name)) throw new Error(`operation ${op.name} is defined twice`);
      map.set(op.name, op);
    }
    this.ops = map;
  }

  get(name: string): AnyOperation {
    const op = this.ops.get(name);
    if (!op) throw new HubError('not_found', `There is no operation ${name}`);
    return op;
  }

  async invoke(op: AnyOperation, ctx: OpContext, rawInput: unknown, remote?: string): Promise<unknown> {
    const started = performance.now();
    try {
      authorize(op.access, ctx.caller, op.name);
      const input = this.admit(op, ctx, rawInput, remote);
      if (ctx.caller.kind === 'agent') ctx.services.agents.touch(ctx.caller.agentId);
      const result = await op.handler(ctx, input);
      this.completed(op, ctx, started);
      return result;
    } catch (err) {
      throw this.failed(op, ctx, started, err);
    }
  }

  /**
   * One call's rate-limit token, depth check and input validation, and its validated input: what
   * `invoke` does between authorizing and running the handler. Batched surfaces (the WebSocket
   * `send_batch` frame) authorize once and admit each item with this.
   */
  admit<S extends z.ZodType>(
    op: { name: string; input: S },
    ctx: OpContext,
    rawInput: unknown,
    remote?: string,
  ): z.output<S> {
    this.limiter.take(ctx.caller.kind === 'anonymous' ? `anon:${remote ?? 'local'}` : callerKey(ctx.caller));
    if (nestedDeeperThan(rawInput, MAX_INPUT_DEPTH)) {
      throw new HubError(
        'invalid_input',
        `${op.name} input is nested more than ${MAX_INPUT_DEPTH} levels deep`,
      );
    }
    const parsed = op.input.safeParse(rawInput ?? {});
    if (!parsed.success) throw fromZodError(parsed.error, `${op.name} input`);
    return parsed.data;
  }

  /** Records a call that succeeded (`started`: its performance.now() at the start). */
  completed(op: { name: string }, ctx: OpContext, started: number): void {
    this.observer?.completed(op.name, (performance.now() - started) / 1000, undefined, ctx.caller);
  }

  /** Records a call that failed, logs it if the hub is at fault, and returns the error to report. */
  failed(op: { name: string }, ctx: OpContext, started: number, err: unknown): HubError {
    const hubError = toHubError(err);
    if (hubError.code === 'internal')
      ctx.logger.error({ err, op: op.name, request_id: ctx.requestId }, 'operation failed');
    this.observer?.completed(op.name, (performance.now() - started) / 1000, hubError.code, ctx.caller);
    return hubError;
  }
}
