/** Operations of the context capability: scoped shared state with versions, expiry, history and watches. */
import { z } from 'zod';
import { HubError } from '../core/errors.js';
import { CONTEXT_KEY_PATTERN, CONTEXT_LIMITS } from '../domain/context/limits.js';
import { CONTEXT_SCOPES, type ContextActor } from '../domain/context/scopes.js';
import { idString } from './schemas.js';
import { contextChangeView, contextEntryView as entry } from '../core/wire/index.js';
import { defineOp, type OpContext } from './types.js';

/** The acting agent, or null for the admin. */
async function actor(ctx: OpContext): Promise<ContextActor> {
  if (ctx.caller.kind === 'agent') return ctx.services.agents.requireActive(ctx.caller.agentId);
  if (ctx.caller.kind === 'admin') return null;
  throw new HubError(
    'unauthorized',
    'This needs an agent identity: send Authorization: Bearer <agent token>',
  );
}

const scope = z
  .enum(CONTEXT_SCOPES)
  .describe(
    'Who shares the key: global (all), project, session, conversation (a thread), agent (all read, it writes)',
  );
const scopeId = idString
  .optional()
  .describe('The session, thread, agent or project (default: yours; required for session, conversation)');
const key = z
  .string()
  .regex(
    CONTEXT_KEY_PATTERN,
    '1-200 characters of letters, digits, ".", "_", ":", "-", starting with a letter or digit',
  )
  .describe('Letters, digits, ".", "_", ":", "-"; up to 200 characters');
const version = z.number().int().min(0);

export const setContext = defineOp({
  name: 'set_context',
  group: 'context',
  summary: 'Set a shared context key to a JSON value (optionally compare-and-set, optionally expiring)',
  description:
    'Each write raises the key’s version. With expected_version the write happens only if the key is at that ' +
    'version (0: only if absent); otherwise it fails with conflict and the current version and value in details. ' +
    `Values up to ${CONTEXT_LIMITS.maxValueBytes} bytes of JSON. Watchers are told of the change.`,
  access: 'agent',
  http: { method: 'PUT', path: '/api/v1/context/:scope/:key' },
  input: z.strictObject({
    scope,
    scope_id: scopeId,
    key,
    value: z
      .unknown()
      .refine((v) => v !== undefined, 'value is required (any JSON value)')
      .describe('Any JSON value: object, array, string, number, boolean or null'),
    expected_version: version
      .optional()
      .describe('Compare-and-set: write only if the key is at this version'),
    ttl_seconds: z
      .number()
      .int()
      .min(1)
      .max(CONTEXT_LIMITS.maxTtlSeconds)
      .optional()
      .describe('The key expires (reads as not found) after this many seconds'),
  }),
  output: entry,
  async handler(ctx, input) {
    return ctx.services.context.set(await actor(ctx), input);
  },
});

export const getContext = defineOp({
  name: 'get_context',
  group: 'context',
  summary: 'Read a shared context key: its value, version and expiry',
  access: 'agent',
  http: { method: 'GET', path: '/api/v1/context/:scope/:key' },
  annotations: { readOnly: true },
  input: z.strictObject({ scope, scope_id: scopeId, key }),
  output: entry,
  async handler(ctx, input) {
    return ctx.services.context.get(await actor(ctx), input);
  },
});

export const listContext = defineOp({
  name: 'list_context',
  group: 'context',
  summary: 'List the live keys of a scope (optionally those starting with a prefix), in key order',
  access: 'agent',
  http: { method: 'GET', path: '/api/v1/context/:scope' },
  annotations: { readOnly: true },
  input: z.strictObject({
    scope,
    scope_id: scopeId,
    prefix: z.string().max(200).optional(),
    after: z.string().max(200).optional().describe('Continue after this key (next_after of an earlier page)'),
    limit: z.number().int().min(1).max(1000).optional().describe('How many at most (1-1000, default 100)'),
  }),
  output: z.object({
    scope: z.string(),
    scope_id: z.string(),
    entries: z.array(entry),
    next_after: z.string().nullable(),
  }),
  async handler(ctx, input) {
    return ctx.services.context.list(await actor(ctx), input);
  },
});

export const deleteContext = defineOp({
  name: 'delete_context',
  group: 'context',
  summary: 'Delete a shared context key (optionally compare-and-set)',
  access: 'agent',
  http: { method: 'DELETE', path: '/api/v1/context/:scope/:key' },
  annotations: { destructive: true, idempotent: true },
  input: z.strictObject({ scope, scope_id: scopeId, key, expected_version: version.optional() }),
  output: z.object({ deleted: z.boolean(), version: z.number().int().nullable() }),
  async handler(ctx, input) {
    return ctx.services.context.delete(await actor(ctx), input);
  },
});

export const contextHistory = defineOp({
  name: 'context_history',
  group: 'context',
  summary: 'The change history of a shared context key, newest first (sets, deletes, expiries)',
  access: 'agent',
  http: { method: 'GET', path: '/api/v1/context/:scope/:key/history' },
  annotations: { readOnly: true },
  input: z.strictObject({
    scope,
    scope_id: scopeId,
    key,
    limit: z.number().int().min(1).max(100).optional().describe('How many at most (1-100, default 50)'),
  }),
  output: z.object({
    scope: z.string(),
    scope_id: z.string(),
    key: z.string(),
    changes: z.array(contextChangeView),
  }),
  async handler(ctx, input) {
    return ctx.services.context.history(await actor(ctx), input);
  },
});

export const watchContext = defineOp({
  name: 'watch_context',
  group: 'context',
  summary: 'Block until a shared context key changes (or the timeout passes) and return it',
  description:
    'Returns at once if the key’s version differs from since_version (an absent key is version 0); without ' +
    'since_version it waits for the next change. timeout_seconds defaults to 25 and is capped at 300. Sends ' +
    'progress notifications while it waits if you give a progress token.',
  access: 'agent',
  blocking: true,
  http: { method: 'GET', path: '/api/v1/context/:scope/:key/watch' },
  annotations: { readOnly: true },
  input: z.strictObject({
    scope,
    scope_id: scopeId,
    key,
    since_version: version.optional(),
    timeout_seconds: z.number().min(0).max(CONTEXT_LIMITS.maxWaitSeconds).optional(),
  }),
  output: z.object({
    changed: z.boolean(),
    timed_out: z.boolean(),
    version: z.number().int(),
    entry: entry.nullable(),
  }),
  async handler(ctx, input) {
    const progress = ctx.progress;
    return ctx.services.context.watch(
      await actor(ctx),
      input,
      ctx.signal,
      progress
        ? (elapsed, total) => progress(elapsed, total, `watching ${input.key} (${elapsed}s)`)
        : undefined,
    );
  },
});

const subscription = {
  access: 'agent' as const,
  annotations: { idempotent: true },
  input: z.strictObject({
    scope,
    scope_id: scopeId,
    key: key.optional().describe('One key; leave out for every key of the scope'),
  }),
  output: z.object({ scope: z.string(), scope_id: z.string(), key: z.string(), subscribed: z.boolean() }),
};

async function subscriber(ctx: OpContext) {
  const me = await actor(ctx);
  if (!me) throw new HubError('invalid_input', 'Subscriptions push to an agent: call this as that agent');
  return me;
}

export const subscribeContext = defineOp({
  name: 'subscribe_context',
  group: 'context',
  summary: 'Have changes of a context key (or a whole scope) pushed to you as context.changed events',
  description: 'Events arrive on your WebSocket and SSE streams until you unsubscribe.',
  http: { method: 'POST', path: '/api/v1/context/subscribe' },
  ...subscription,
  async handler(ctx, input) {
    return ctx.services.context.subscribe(await subscriber(ctx), input, true);
  },
});

export const unsubscribeContext = defineOp({
  name: 'unsubscribe_context',
  group: 'context',
  summary: 'Stop the pushes of subscribe_context',
  http: { method: 'POST', path: '/api/v1/context/unsubscribe' },
  ...subscription,
  async handler(ctx, input) {
    return ctx.services.context.subscribe(await subscriber(ctx), input, false);
  },
});

export const contextOps = [
  setContext,
  getContext,
  listContext,
  deleteContext,
  contextHistory,
  watchContext,
  subscribeContext,
  unsubscribeContext,
] as const;
