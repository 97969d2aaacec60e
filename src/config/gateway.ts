/**
 * The `gateway` section of the config: downstream MCP servers the hub connects to and republishes
 * as `<server><separator><tool>`. One schema serves the config file and the `add_server` operation.
 */
import { z } from 'zod';
import { linearRegexProblem, MAX_PATTERN_LENGTH } from '../core/linear-regex.js';
import { HIDDEN_VALUE, HIDDEN_VALUE_MESSAGE } from './placeholders.js';

/** Letters, digits and inner hyphens: never the separator's `_`, so `<server>__<tool>` splits one way only. */
export const SERVER_NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?$/;

const positive = z.number().positive();

/** An env or header value; the text `switchboard config` prints in place of a literal one is refused. */
const headerOrEnvValue = z.string().refine((value) => value !== HIDDEN_VALUE, HIDDEN_VALUE_MESSAGE);

export const breakerSchema = z
  .strictObject({
    /** Consecutive failed calls (errors, timeouts) that open the breaker. */
    failureThreshold: z.number().int().min(1).max(1000).default(5),
    /** How long an open breaker refuses calls before letting one trial call through (half-open). */
    resetSeconds: positive.max(3600).default(30),
  })
  .prefault({});

export const retrySchema = z
  .strictObject({
    /** Extra attempts after the first, only for tools safe to repeat. */
    attempts: z.number().int().min(0).max(10).default(2),
    baseDelayMs: z.number().int().min(1).max(60_000).default(200),
    maxDelayMs: z.number().int().min(1).max(300_000).default(5_000),
    /** Tools (downstream names) also safe to retry, besides those annotated readOnlyHint / idempotentHint. */
    tools: z.array(z.string().min(1).max(128)).max(1000).default([]),
  })
  .prefault({});

export const serverSpecSchema = z
  .strictObject({
    name: z.string().regex(SERVER_NAME, 'name: 1-32 letters, digits and inner hyphens (no "_", no ".")'),
    /** stdio: the program to run (one supervised process). */
    command: z.string().min(1).max(4096).optional(),
    args: z.array(z.string().max(4096)).max(200).default([]),
    env: z.record(z.string(), headerOrEnvValue).default({}),
    cwd: z.string().min(1).optional(),
    /** Streamable HTTP: the server's MCP URL. */
    url: z.url({ protocol: /^https?$/ }).optional(),
    headers: z.record(z.string(), headerOrEnvValue).default({}),
    enabled: z.boolean().default(true),
    /** Per-call timeout. */
    timeoutSeconds: positive.max(3600).default(30),
    /** Per-tool timeouts (downstream tool name → seconds), overriding timeoutSeconds for those tools. */
    toolTimeouts: z.record(z.string().min(1).max(128), positive.max(3600)).default({}),
    /** Connecting (spawn + handshake + first tools/list). */
    connectTimeoutSeconds: positive.max(600).default(20),
    retry: retrySchema,
    breaker: breakerSchema,
    /**
     * A token bucket for calls to this server (refilled at perSecond, holding up to burst): past it a
     * call fails at once with rate_limited and never reaches the server. Absent: no limit.
     */
    rateLimit: z
      .strictObject({
        perSecond: positive.max(100_000),
        burst: z.number().int().min(1).max(100_000),
      })
      .optional(),
    /** Results of these tools (downstream names) are kept for ttlSeconds, keyed by tool and arguments. */
    cache: z
      .strictObject({
        tools: z.array(z.string().min(1).max(128)).max(1000).default([]),
        ttlSeconds: positive.max(86_400).default(60),
      })
      .prefault({}),
  })
  .refine((s) => (s.command === undefined) !== (s.url === undefined), {
    message: 'give exactly one of command (stdio) or url (Streamable HTTP)',
    path: ['command'],
  });

export type ServerSpec = z.output<typeof serverSpecSchema>;
export type ServerSpecInput = z.input<typeof serverSpecSchema>;

/** A call matching a rule waits for a person's decision (approve_call / deny_call). */
export const approvalRuleSchema = z.strictObject({
  /** Globs over the namespaced tool names our clients see (`k8s__delete_*`, `*__exec`); `*` any run, `?` one character. */
  tools: z.array(z.string().min(1).max(200)).min(1).max(100),
  /**
   * Argument name → regular expression tested against the argument's value (strings as they are,
   * other values as JSON). Every listed argument must be present and match. Empty: any arguments.
   * JavaScript syntax, run on RE2 in linear time (core/linear-regex.ts): backreferences and lookaround are refused.
   */
  args: z
    .record(
      z.string().min(1).max(200),
      z
        .string()
        .max(MAX_PATTERN_LENGTH)
        .superRefine((pattern, ctx) => {
          const problem = linearRegexProblem(pattern);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }),
    )
    .default({}),
  /** Shown to the approver. */
  reason: z.string().max(500).optional(),
  /** Overrides approvals.timeoutSeconds for the calls this rule holds. */
  timeoutSeconds: positive.max(86_400).optional(),
});

export type ApprovalRule = z.output<typeof approvalRuleSchema>;

export const approvalsSchema = z
  .strictObject({
    /** How long a held call waits for a decision before it is denied. */
    timeoutSeconds: positive.max(86_400).default(300),
    /**
     * How long a relayed permission prompt (`switchboard mcp --permission-relay`) waits on the hub;
     * past it the prompt times out there and only the session's own dialog can answer it.
     */
    permissionTimeoutSeconds: positive.max(86_400).default(300),
    rules: z.array(approvalRuleSchema).max(500).default([]),
  })
  .prefault({});

export const gatewayConfigSchema = z
  .strictObject({
    servers: z
      .array(serverSpecSchema)
      .max(200)
      .default([])
      .refine((list) => new Set(list.map((s) => s.name)).size === list.length, {
        message: 'server names must be unique',
      }),
    /** Between server and tool name; `_` and `-` only and at least one `_` (server names have none). */
    separator: z
      .string()
      .regex(/^[_-]{1,3}$/, 'separator: 1-3 of "_" and "-"')
      .refine((s) => s.includes('_'), 'separator must contain "_"')
      .default('__'),
    /**
     * One server exposed unprefixed: its tools and prompts under their own names, its resources under
     * their own URIs (a clash with a hub tool or resource: the hub's wins, logged). Others stay prefixed.
     */
    passthrough: z.string().regex(SERVER_NAME, 'passthrough: the name of a downstream server').optional(),
    /** Calls that wait for a person's approval. */
    approvals: approvalsSchema,
    /** How often each connected server is pinged. */
    healthIntervalSeconds: positive.max(3600).default(15),
    /** Restart backoff for servers that died or cannot be reached. */
    restartInitialMs: z.number().int().min(1).max(60_000).default(500),
    restartMaxMs: z.number().int().min(1).max(3_600_000).default(30_000),
  })
  .prefault({});

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;

/** A secret reference in a downstream server's env or header value: `${env:NAME}` or `${file:PATH}`. */
export const SECRET_REFERENCE = /\$\{(env|file):([^}]+)\}/g;

/** Whether a value holds a secret reference (it is shown as written, never resolved, by `switchboard config`). */
export function hasReference(value: string): boolean {
  return new RegExp(SECRET_REFERENCE.source).test(value);
}
