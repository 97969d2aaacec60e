/**
 * The hub's whole configuration, validated by one zod schema. Defaults live here and nowhere else.
 * Every section is strict, so a misspelt setting anywhere is reported instead of silently ignored.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { gatewayConfigSchema } from './gateway.js';
import { DEFAULT_INSTANCE_ENV_ALLOW, envName, envPattern } from './instance-env.js';
import {
  HIDDEN_VALUE,
  HIDDEN_VALUE_MESSAGE,
  looksLikePlaceholder,
  PLACEHOLDER_TOKEN_MESSAGE,
} from './placeholders.js';

const seconds = z.number().positive();

export const configSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(7700),
    /** Data directory: the database, the generated admin token, custom roles. */
    home: z.string().min(1).default(join(homedir(), '.switchboard')),
    /** SQLite file (defaults to `<home>/switchboard.db`), or a `postgres://` URL: cluster mode. */
    db: z
      .string()
      .min(1)
      .refine((db) => !db.includes(encodeURIComponent(HIDDEN_VALUE)), {
        message:
          '`switchboard config` hid the password of this URL: put it back, or leave it out and set PGPASSWORD',
      })
      .optional(),
    adminToken: z
      .string()
      .refine((token) => !looksLikePlaceholder(token), { message: PLACEHOLDER_TOKEN_MESSAGE, abort: true })
      .min(16, 'the admin token must have at least 16 characters')
      .optional(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Who may register agents: anyone who reaches the hub, or only the admin. */
    registration: z.enum(['open', 'admin']).default('open'),
    auth: z
      .strictObject({
        /**
         * Whether callers without a token may read the agent directory (list_agents, get_agent, presence
         * on the SSE stream). Unset: yes when the hub binds loopback, no otherwise (see domain/agents/directory.ts).
         */
        anonymousDirectory: z.boolean().optional(),
      })
      .prefault({}),
    agents: z
      .object({
        /** Largest agent metadata, as JSON text; listings leave metadata out, get_agent shows it. */
        maxMetadataBytes: z
          .number()
          .int()
          .min(256)
          .max(16 * 1024 * 1024)
          .default(16 * 1024),
      })
      .prefault({}),
    presence: z
      .strictObject({
        /** No activity for this long: `idle`. */
        idleAfterSeconds: seconds.default(120),
        /** No activity for this long: `offline`. */
        offlineAfterSeconds: seconds.default(300),
        /** No activity for this long: the agent is retired automatically. */
        retireAfterSeconds: seconds.default(7 * 24 * 3600),
        sweepIntervalSeconds: seconds.default(30),
      })
      .prefault({}),
    rateLimit: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** Sustained requests per second per agent (token bucket refill). */
        perSecond: z.number().positive().default(200),
        /** Bucket size: requests an agent may make at once. */
        burst: z.number().int().positive().default(400),
      })
      .prefault({}),
    http: z
      .strictObject({
        bodyLimitBytes: z
          .number()
          .int()
          .positive()
          .default(1024 * 1024),
        /** Extra origins allowed to call /mcp and the API from a browser (loopback origins always are). */
        allowedOrigins: z.array(z.string()).default([]),
      })
      .prefault({}),
    messages: z
      .strictObject({
        defaultWaitSeconds: z.number().min(0).max(300).default(25),
        maxWaitSeconds: z.number().min(1).max(300).default(300),
        /** Largest message body, as JSON text. */
        maxBodyBytes: z
          .number()
          .int()
          .positive()
          .default(256 * 1024),
      })
      .prefault({}),
    tasks: z
      .strictObject({
        /** A holder that sends no update within this many seconds loses the task (per task: lease_seconds). */
        defaultLeaseSeconds: z.number().int().min(1).max(86400).default(300),
        defaultMaxAttempts: z.number().int().min(1).max(100).default(3),
        /** How often leases that ran out are looked for. */
        sweepIntervalSeconds: seconds.default(5),
        defaultWaitSeconds: z.number().min(0).max(300).default(25),
        maxWaitSeconds: z.number().min(1).max(300).default(300),
      })
      .prefault({}),
    leases: z
      .strictObject({
        /** Live leases one agent may hold at once; acquiring past this fails with a clear error. */
        maxPerAgent: z.number().int().min(1).max(100_000).default(100),
        /**
         * Pattern comparisons one request may make (acquire_lease against the project's live leases,
         * check_paths, list_leases by path); past it the request fails with a clear error instead of
         * holding the hub. Each is a character or segment comparison: 5 million take a few hundred
         * milliseconds at most.
         */
        maxMatchSteps: z.number().int().min(1000).max(1_000_000_000).default(5_000_000),
      })
      .prefault({}),
    instances: z
      .strictObject({
        /** Instances running at once; spawning past this fails with a clear error. */
        maxConcurrent: z.number().int().min(1).max(1000).default(10),
        /**
         * Whether agents (not only the admin) may name the program to run (`command`) or a script file
         * on the hub host. Off: on a hub others can reach, that would let anyone who registers run code here.
         */
        allowAgentCommands: z.boolean().default(false),
        /** Agents may create worktree workspaces of repositories under these directories (others: admin only). */
        agentRepoRoots: z.array(z.string().min(1)).default([]),
        /** The Claude Code program (argv prefix) for the claude-code adapter. */
        claudeCommand: z.array(z.string().min(1)).min(1).default(['claude']),
        /** The Codex CLI program (argv prefix) for the codex adapter. */
        codexCommand: z.array(z.string().min(1)).min(1).default(['codex']),
        /** The Gemini CLI program (argv prefix) for the gemini adapter. */
        geminiCommand: z.array(z.string().min(1)).min(1).default(['gemini']),
        /** A session CLI (Claude Code) that has not said it is up by then failed to start. */
        readySeconds: z.number().min(0.1).max(600).default(30),
        /**
         * After a hub restart, resume the instances the previous run left (their processes are killed
         * first): a session CLI is relaunched continuing its session (Claude Code --resume), a per-turn
         * CLI (codex, gemini) continues on its next turn. Off: they are marked failed.
         */
        resumeAfterRestart: z.boolean().default(true),
        /**
         * Cluster: a node that closed on purpose (SIGTERM, hub close) keeps its suspended instances this
         * long for its own restart on its data directory (which resumes them); then a live node takes
         * them over. 0: at once. (A node that dies is taken over as soon as its heartbeats are stale.)
         */
        takeoverLeftAfterSeconds: z.number().min(0).max(86_400).default(600),
        /** Stopping: after closing stdin, and again after SIGTERM, wait this long before the next step. */
        stopGraceSeconds: z.number().min(0).max(60).default(3),
        defaultWaitSeconds: z.number().min(0).max(300).default(25),
        maxWaitSeconds: z.number().min(1).max(3600).default(300),
        /** Health loop: a busy instance with no output event for this long is marked stuck. */
        stuckSeconds: z.number().min(0.1).max(86_400).default(120),
        /** How often limits (wall and idle time) are checked. */
        checkIntervalSeconds: seconds.default(0.5),
        /**
         * The hub's variables an instance's process gets (names, or prefixes ending in `*`); nothing
         * else of the hub's environment passes. Setting it replaces the default list.
         */
        envAllow: z.array(envPattern).max(500).default(DEFAULT_INSTANCE_ENV_ALLOW),
        /**
         * Variables every instance's process gets (on top of envAllow); values may hold `${env:NAME}` and
         * `${file:PATH}` references, resolved at each spawn like gateway secrets.
         */
        env: z
          .record(
            envName,
            z.string().refine((value) => value !== HIDDEN_VALUE, HIDDEN_VALUE_MESSAGE),
          )
          .default({}),
      })
      .prefault({}),
    mcp: z
      .object({
        /** 2025-era sessions at `/mcp`: who may open how many, and when idle ones are reclaimed. */
        sessions: z
          .object({
            /** Open sessions per caller: per token, or per client address for sessions opened without one. */
            maxPerCaller: z.number().int().min(1).max(100_000).default(100),
            /** Open sessions opened without a token, all addresses together (callers with a token have the rest). */
            maxAnonymous: z.number().int().min(1).max(1_000_000).default(1000),
            /** Open sessions in all. */
            maxTotal: z.number().int().min(1).max(1_000_000).default(10_000),
            /** New sessions per second per caller (token bucket refill; off with rateLimit.enabled: false). */
            perSecond: z.number().positive().default(2),
            /** New sessions a caller may open at once (bucket size). */
            burst: z.number().int().min(1).default(30),
            /** A session whose client has sent nothing after initialize (notifications/initialized) by then is closed. */
            initSeconds: seconds.default(10),
            /** A session with a token or a registered agent, no request and no open stream for this long is closed. */
            idleSeconds: seconds.default(3600),
            /** The same for a session that never identified (no token, no register_agent). */
            anonymousIdleSeconds: seconds.default(300),
          })
          .prefault({}),
      })
      .prefault({}),
    /** Live streams (WebSocket, SSE). */
    streams: z
      .object({
        /** A client whose unsent data passes this is too slow: its stream is closed and it resumes from its cursor. */
        maxBufferedBytes: z
          .number()
          .int()
          .min(64 * 1024)
          .default(16 * 1024 * 1024),
      })
      .prefault({}),
    /** Downstream MCP servers republished through /mcp as `<server>__<tool>`. */
    gateway: gatewayConfigSchema,
    analytics: z
      .strictObject({
        /** Keep the rollups as things happen; off: nothing is recorded and the analytics ops refuse. */
        enabled: z.boolean().default(true),
        /** Analytics answers are served from a cache this long (0: never cached). */
        cacheSeconds: z.number().min(0).max(3600).default(5),
      })
      .prefault({}),
    workflows: z
      .strictObject({
        /** Where `run_workflow {file}` looks for relative paths; defaults to `<home>/workflows`. */
        dir: z.string().min(1).optional(),
        /** A step calling a downstream tool waits this long for its server to be connected (e.g. after a restart). */
        toolWaitSeconds: z.number().min(0).max(3600).default(30),
        defaultWaitSeconds: z.number().min(0).max(3600).default(60),
        /**
         * Cluster mode: a node owns the runs it runs under a lease this long, renewed every
         * `leaseRenewSeconds`; once a lease has ended (its node died or stalled), another node takes the
         * run over (checked every `leaseRenewSeconds` too).
         */
        leaseSeconds: z.number().min(0.5).max(3600).default(15),
        leaseRenewSeconds: z.number().min(0.1).max(600).default(5),
      })
      .prefault({}),
  })
  .strict();

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

export const dbPath = (config: Config): string => config.db ?? join(config.home, 'switchboard.db');

export const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
